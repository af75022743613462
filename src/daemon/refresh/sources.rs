//! The BLOB sources of a refresh round (`mds_url`): tried in order, each fetched and verified
//! exactly as the official MDS by [`Refresher::refresh_from`], each with its own ETag, a
//! metric and a log line per attempt; every failure reported when all fail.

use time::OffsetDateTime;

use super::{LastOutcome, RefreshError, Refresher};

impl Refresher {
    /// One refresh round at `now`: the sources in order (`mds_url`), each fetched and verified
    /// exactly as the official MDS (the BLOB is self-authenticating: a source serving an older
    /// BLOB is refused by the rollback check, a tampered one by the signature). The round ends
    /// at the first source that yields a newer BLOB, or that has nothing newer while the served
    /// BLOB is still current; a failing source, or one with nothing newer once the served BLOB
    /// is past its nextUpdate, hands over to the next.
    pub async fn refresh_once(&mut self, now: OffsetDateTime) -> Result<LastOutcome, RefreshError> {
        let params = self.params.clone();
        let several = params.urls.len() > 1;
        // Per-mirror metrics (`mdsd_source_fetches_total`) are the MDS BLOB's; a further
        // source reports its rounds under its own name.
        let primary = matches!(self.target, super::Target::Primary);
        let metrics = self.shared.metrics.clone();
        let metric = |index: usize, host: &str, result: &str, step: &str| {
            if primary {
                metrics.source_fetch(index, host, result, step);
            }
        };
        let mut failures = Vec::new();
        let mut unchanged = false;
        for (index, source) in params.urls.iter().enumerate() {
            let host = source.host_label();
            match self.refresh_from(index, source, now).await {
                Ok(LastOutcome::Updated) => {
                    metric(index, &host, "updated", "");
                    if several {
                        tracing::info!(source = index, %host, "BLOB updated from this source");
                    }
                    return Ok(LastOutcome::Updated);
                }
                Ok(_) => {
                    metric(index, &host, "unchanged", "");
                    let stale = self.held().is_some_and(|c| c.blob.is_stale(now));
                    if !stale {
                        return Ok(LastOutcome::Unchanged);
                    }
                    unchanged = true;
                    if index + 1 < params.urls.len() {
                        tracing::info!(source = index, %host,
                            "nothing newer from this source and the served BLOB is past \
                             nextUpdate; trying the next source");
                    }
                }
                Err(e) => {
                    let step = e.step();
                    metric(index, &host, "failed", &step);
                    if several {
                        tracing::warn!(source = index, %host, error = %e, %step,
                            next = index + 1 < params.urls.len(), "BLOB source failed");
                    }
                    failures.push((index, source.to_string(), e));
                }
            }
        }
        if unchanged {
            return Ok(LastOutcome::Unchanged);
        }
        if failures.len() == 1 {
            if let Some((_, _, e)) = failures.pop() {
                return Err(e);
            }
        }
        Err(RefreshError::AllSources(failures))
    }

    pub(super) fn set_etag(&mut self, index: usize, etag: Option<String>) {
        if let Some(slot) = self.etags.get_mut(index) {
            *slot = etag;
        }
    }
}

/// The failures of every source, in the order tried, for [`RefreshError::AllSources`].
pub(super) struct SourceFailures<'a>(pub(super) &'a [(usize, String, RefreshError)]);

impl std::fmt::Display for SourceFailures<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, (index, source, e)) in self.0.iter().enumerate() {
            let sep = if n == 0 { "" } else { "; " };
            write!(f, "{sep}[{index}] {source}: {e}")?;
        }
        Ok(())
    }
}
