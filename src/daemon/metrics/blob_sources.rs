//! The metrics of the further BLOB sources (`[[blob_source]]`), labelled `blob_source=<name>`
//! (apart from `mdsd_source_fetches_total`, whose `source` label is an index in `mds_url`).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use time::OffsetDateTime;

use super::Labels;
use crate::daemon::blob_sources::BlobSourceStatus;

/// One family per fact, each labelled with the source name.
#[derive(Debug, Default)]
pub struct BlobSourceMetrics {
    no: Family<Labels, Gauge>,
    next_update: Family<Labels, Gauge>,
    entries: Family<Labels, Gauge>,
    served: Family<Labels, Gauge>,
    stale: Family<Labels, Gauge>,
    last_success: Family<Labels, Gauge>,
    failures: Family<Labels, Gauge>,
    refreshes: Family<Labels, Counter>,
}

fn label(name: &str) -> Labels {
    vec![("blob_source", name.to_string())]
}

impl BlobSourceMetrics {
    pub(super) fn register(&self, r: &mut Registry) {
        r.register(
            "blob_source_no",
            "Serial number (no) of the BLOB a further BLOB source holds (its last good one)",
            self.no.clone(),
        );
        r.register(
            "blob_source_next_update_timestamp_seconds",
            "nextUpdate of the BLOB a further BLOB source holds (start of that day, UTC)",
            self.next_update.clone(),
        );
        r.register(
            "blob_source_entries",
            "Entries of the BLOB a further BLOB source holds",
            self.entries.clone(),
        );
        r.register(
            "blob_source_served",
            "1 while a further BLOB source's entries are served (0: nothing held yet, or stale \
             beyond its stale_grace)",
            self.served.clone(),
        );
        r.register(
            "blob_source_stale",
            "1 when the BLOB a further BLOB source holds is past its nextUpdate",
            self.stale.clone(),
        );
        r.register(
            "blob_source_last_success_timestamp_seconds",
            "When a further BLOB source's last refresh succeeded (new BLOB or unchanged)",
            self.last_success.clone(),
        );
        r.register(
            "blob_source_consecutive_failures",
            "A further BLOB source's refresh failures since its last success",
            self.failures.clone(),
        );
        r.register(
            "blob_source_refreshes",
            "A further BLOB source's refresh rounds by result (updated, unchanged, failed) and \
             failed step",
            self.refreshes.clone(),
        );
    }

    /// Counts one refresh round of source `name`.
    pub fn round(&self, name: &str, result: &str, step: &str) {
        let mut labels = label(name);
        labels.push(("result", result.to_string()));
        labels.push(("step", step.to_string()));
        self.refreshes.get_or_create(&labels).inc();
    }

    /// Sets every gauge of a source from its status at `now`.
    pub fn set(&self, status: &BlobSourceStatus, now: OffsetDateTime) {
        let l = label(&status.name);
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.served.get_or_create(&l).set(i64::from(status.served));
        self.failures.get_or_create(&l).set(i64::from(status.consecutive_failures));
        if let Some(at) = status.last_success_at {
            self.last_success.get_or_create(&l).set(at.unix_timestamp());
        }
        match &status.held {
            Some(held) => {
                self.no.get_or_create(&l).set(int(held.no));
                self.next_update
                    .get_or_create(&l)
                    .set(held.next_update.midnight().assume_utc().unix_timestamp());
                self.entries.get_or_create(&l).set(int(held.entries as u64));
                self.stale.get_or_create(&l).set(i64::from(held.is_stale(now)));
            }
            None => {
                self.entries.get_or_create(&l).set(0);
                self.stale.get_or_create(&l).set(0);
            }
        }
    }
}
