//! The refresh loop of a further BLOB source (`[[blob_source]]`): the same rounds as the MDS
//! BLOB's ([`Refresher::refresh_once`]: its own mirrors, roots, CRLs, rollback floor and state
//! directory), but an accepted BLOB's entries are marked [`Origin::Blob`] and served in the
//! source's own slot beside the MDS BLOB ([`Shared::set_extra_entries`]). A failing source keeps
//! its last good entries until they are stale beyond its `stale_grace`; then its slot is
//! emptied (the MDS BLOB keeps serving) until a newer BLOB arrives. Every round is reported:
//! a WARN line per failure, the `mdsd_blob_source_*` metrics, GetMetadataInfo.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::super::advice::{accepted_kind, Accepted};
use super::super::config::Config;
use super::super::fetch::Fetcher;
use super::super::snapshot_file::StateDir;
use super::super::state::{ExtraSlot, Loaded, Shared, StalePolicy};
use super::{initial_seed, next_refresh, splitmix64, LastOutcome, Refresher, SourceParams, Target};
use crate::daemon::blob_sources::HeldBlob;
use crate::trust_store::{Entry, Origin};

/// A further source's place among the served entries and what it holds.
#[derive(Debug)]
pub(super) struct ExtraTarget {
    name: Arc<str>,
    /// Its slot: configuration order (operator statements come after, at 1000).
    slot: ExtraSlot,
    /// Its own stale grace (`danger_serve_stale` applies to it too).
    stale: StalePolicy,
    /// The last good BLOB (kept while the source fails).
    pub(super) held: Option<Arc<Loaded>>,
    /// True while its entries are in its slot.
    served: bool,
}

impl Refresher {
    /// The refresher of further BLOB source `index` (in `config.blob_sources`), keeping its
    /// snapshot, CRL cache and rollback floor in `state` (the daemon uses
    /// `state_dir/sources/<name>`). `None` when there is no such source.
    pub fn for_blob_source(
        config: Arc<Config>,
        shared: Arc<Shared>,
        fetcher: Fetcher,
        state: Option<StateDir>,
        index: usize,
    ) -> Option<Refresher> {
        let source = config.blob_sources.get(index)?;
        let params = Arc::new(SourceParams {
            urls: source.urls.clone(),
            roots: source.roots.clone(),
            crl_files: source.crl_files.clone(),
            crl_mirror: source.crl_mirror.clone(),
            max_blob_bytes: source.max_blob_bytes,
        });
        shared.blob_sources.register(&source.name, source.roots_sha256());
        let target = ExtraTarget {
            name: source.name.as_str().into(),
            slot: ExtraSlot {
                order: u32::try_from(index).unwrap_or(u32::MAX),
                name: source.name.clone(),
            },
            stale: StalePolicy {
                grace: source.stale_grace,
                serve_stale: config.danger.serve_stale,
            },
            held: None,
            served: false,
        };
        Some(Refresher::with_target(config, params, Target::Extra(target), shared, fetcher, state))
    }

    /// Keeps an accepted (or restored) BLOB as this source's last good one and serves its
    /// entries, unless it is already stale beyond the grace.
    pub(super) fn accept_extra(&mut self, loaded: Loaded, now: OffsetDateTime) {
        let Target::Extra(extra) = &mut self.target else { return };
        tracing::info!(blob_source = %extra.name, no = loaded.blob.no,
            next_update = %loaded.blob.next_update, entries = loaded.blob.store.blob_entries().len(),
            anchor = %loaded.blob.anchor.label, restored = loaded.restored,
            "further BLOB source: BLOB accepted");
        extra.held = Some(Arc::new(loaded));
        self.serve_extra(now, true);
    }

    /// Serves the held BLOB's entries while it is within its grace at `now`, empties the slot
    /// once it is not, and reports what is served. `new_blob`: the held BLOB was just replaced.
    fn serve_extra(&mut self, now: OffsetDateTime, new_blob: bool) {
        let Target::Extra(extra) = &mut self.target else { return };
        let kind = extra.held.as_ref().map(|h| accepted_kind(h.blob.next_update, extra.stale, now));
        let serve = matches!(kind, Some(Accepted::Current | Accepted::Stale));
        match (&extra.held, serve, extra.served || new_blob) {
            (Some(held), true, _) if new_blob || !extra.served => {
                let origin = Origin::Blob { source: extra.name.clone() };
                let entries: Vec<Arc<Entry>> = held
                    .blob
                    .store
                    .blob_entries()
                    .iter()
                    .map(|e| Arc::new(Entry::clone(e).with_origin(origin.clone())))
                    .collect();
                if held.restored {
                    // What was served before the restart: no change to announce.
                    self.shared.restore_extra_entries(extra.slot.clone(), entries);
                } else {
                    self.shared.set_extra_entries(extra.slot.clone(), entries, now);
                }
            }
            (held, false, true) => {
                // A BLOB accepted already past its grace replaces what was served, too.
                tracing::warn!(blob_source = %extra.name,
                    no = held.as_ref().map_or(0, |h| h.blob.no),
                    "further BLOB source: stale beyond its stale_grace; its entries are no \
                     longer served (the MDS BLOB is, as before) until a newer BLOB arrives");
                self.shared.set_extra_entries(extra.slot.clone(), Vec::new(), now);
            }
            _ => {}
        }
        extra.served = serve;
        let held = extra.held.as_ref().map(|h| HeldBlob {
            no: h.blob.no,
            next_update: h.blob.next_update,
            entries: h.blob.store.blob_entries().len(),
            verified_at: h.verified_at,
            restored: h.restored,
        });
        let serve_until = match kind {
            Some(Accepted::PastGrace { serve_until }) => Some(serve_until),
            Some(_) if !extra.stale.serve_stale => extra.held.as_ref().map(|h| {
                let from = h.blob.next_update.next_day().map_or(now, |d| d.midnight().assume_utc());
                from.saturating_add(
                    time::Duration::try_from(extra.stale.grace).unwrap_or(time::Duration::MAX),
                )
            }),
            _ => None,
        };
        self.shared.blob_sources.update(&extra.name, |s| {
            s.held = held;
            s.served = serve;
            s.serve_until = serve_until;
        });
    }

    /// Stops serving a further source's BLOB once it is stale beyond its grace at `now` (the
    /// loop does this after every round, and wakes when the grace ends); nothing for the MDS
    /// BLOB, whose staleness the request path judges.
    pub fn expire_stale(&mut self, now: OffsetDateTime) {
        self.serve_extra(now, false);
    }

    /// When this source's entries stop being served if nothing newer arrives.
    fn extra_serve_until(&self) -> Option<OffsetDateTime> {
        let Target::Extra(extra) = &self.target else { return None };
        let mut until = None;
        self.shared.blob_sources.update(&extra.name, |s| until = s.serve_until);
        until
    }

    /// Runs a further source's refresh rounds until `shutdown` completes; the first at once.
    pub(super) async fn run_extra(mut self, shutdown: impl std::future::Future<Output = ()>) {
        let Target::Extra(extra) = &self.target else { return };
        let name = extra.name.clone();
        tokio::pin!(shutdown);
        let mut requests = self.shared.refresh_requests();
        let mut seed = initial_seed();
        let mut failures: u32 = 0;
        let mut trigger = "schedule";
        loop {
            self.poll_late_restore();
            let now = self.shared.now();
            let outcome = match self.refresh_once(now).await {
                Ok(outcome) => {
                    failures = 0;
                    let result =
                        if outcome == LastOutcome::Updated { "updated" } else { "unchanged" };
                    self.shared.metrics.blob_sources.round(&name, result, "");
                    tracing::info!(blob_source = %name, result, trigger,
                        no = self.held().map_or(0, |h| h.blob.no), "further BLOB source refreshed");
                    self.shared.blob_sources.update(&name, |s| {
                        let at = OffsetDateTime::now_utc();
                        s.last_error = None;
                        s.last_refresh_at = Some(at);
                        s.last_success_at = Some(at);
                        s.consecutive_failures = 0;
                    });
                    outcome
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let step = e.step();
                    self.shared.metrics.blob_sources.round(&name, "failed", &step);
                    let held = self.held().map(|h| h.blob.no);
                    tracing::warn!(blob_source = %name, error = %e, %step, trigger,
                        consecutive_failures = failures,
                        keeps = %held.map_or_else(|| "nothing".to_string(), |no| format!("no {no}")),
                        "further BLOB source refresh failed; its last good BLOB stays served \
                         until stale beyond its stale_grace");
                    self.shared.blob_sources.update(&name, |s| {
                        s.last_error = Some(e.to_string());
                        s.last_refresh_at = Some(OffsetDateTime::now_utc());
                        s.consecutive_failures = failures;
                    });
                    LastOutcome::Failed { consecutive: failures, retry_after: e.retry_after() }
                }
            };
            self.expire_stale(self.shared.now());
            seed = splitmix64(seed);
            let next_update = self.held().map(|h| h.blob.next_update);
            let now = self.shared.now();
            let mut delay = next_refresh(now, next_update, outcome, &self.config.refresh, seed);
            // Wake when the held BLOB's grace ends, to stop serving it on time.
            if let Some(until) = self.extra_serve_until().filter(|until| *until > now) {
                let left = Duration::try_from(until - now).unwrap_or(Duration::ZERO);
                delay = delay.min(left.saturating_add(Duration::from_secs(1)));
            }
            let at = OffsetDateTime::now_utc() + delay;
            self.shared.blob_sources.update(&name, |s| s.next_refresh_at = Some(at));
            for status in self.shared.blob_sources.all().iter().filter(|s| *s.name == *name) {
                self.shared.metrics.blob_sources.set(status, now);
            }
            match self.wait_next(delay, outcome, &mut requests, &mut shutdown).await {
                Some(ended_by) => trigger = ended_by,
                None => return,
            }
        }
    }
}
