//! The state shared by the refresh loop, the gRPC service and the admin endpoint: the verified
//! BLOB being served (swapped atomically, never mutated), the refresh status, and the stale
//! policy that decides whether requests may be answered.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use time::{OffsetDateTime, Time};
use tokio::sync::watch;

use super::blob_sources::BlobSourceBoard;
use super::metrics::Metrics;
use super::mirror::Published;
use super::passkey_providers::PasskeyProviders;
use super::watch::{ChangeEvent, WatchHub};
use crate::mds::VerifiedBlob;
use crate::trust_store::Entry;

/// A verified BLOB and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub blob: VerifiedBlob,
    /// URL or path it was obtained from.
    pub source: String,
    /// True when it was restored from the state directory rather than freshly obtained.
    pub restored: bool,
    pub fetched_at: OffsetDateTime,
    pub verified_at: OffsetDateTime,
    pub etag: Option<String>,
    /// SHA-256 of the BLOB bytes (to recognise an unchanged BLOB without verifying it again).
    pub blob_sha256: [u8; 32],
    /// The BLOB bytes and CRLs the mirror listener publishes; kept only when `mirror_listen`
    /// is set (otherwise the bytes are dropped once persisted).
    pub published: Option<Arc<Published>>,
}

/// SHA-256 (lowercase hex) of a BLOB's legalHeader as UTF-8 (of the empty string when it has
/// none), as `accepted_legal_header_sha256` names the accepted one.
pub fn legal_header_sha256(blob: &VerifiedBlob) -> String {
    let text = blob.legal_header.as_deref().unwrap_or("");
    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// SHA-256 of BLOB bytes, as kept in [`Loaded::blob_sha256`].
pub fn blob_digest(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// What the refresh loop last did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshStatus {
    /// The last failure, `None` after a success.
    pub last_error: Option<String>,
    pub last_refresh_at: Option<OffsetDateTime>,
    pub next_refresh_at: Option<OffsetDateTime>,
    pub consecutive_failures: u32,
    /// What the operator can do about the failures (readiness text); `None` after a success.
    pub advice: Option<String>,
}

/// How long a stale BLOB may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StalePolicy {
    pub grace: Duration,
    /// `danger_serve_stale`: never fail closed.
    pub serve_stale: bool,
}

/// Why a request cannot be answered from metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// No verified BLOB yet (start-up, or every attempt failed).
    NotLoaded { last_error: Option<String> },
    /// The BLOB is past nextUpdate and the grace period is over: fail closed.
    StaleBeyondGrace { no: u64, next_update: time::Date, serve_until: OffsetDateTime },
}

/// The shared state. Cheap to read from any task.
#[derive(Debug)]
pub struct Shared {
    current: ArcSwapOption<Loaded>,
    status: Mutex<RefreshStatus>,
    policy: StalePolicy,
    changed: watch::Sender<u64>,
    /// Counts operator refresh requests: every refresh loop (the MDS BLOB's and each further
    /// source's) watches it.
    refresh_now: watch::Sender<u64>,
    pub metrics: Arc<Metrics>,
    /// Status-change events for WatchStatusChanges: one per installed BLOB that replaced
    /// another, one per effective date that changed a status of the BLOB served.
    pub watch: WatchHub,
    /// `danger_clock`: the pinned instant every judgement is made at; `None`: the system clock.
    /// Behind a lock only so that tests can move it ([`Shared::set_pinned_clock`]).
    clock: Option<Mutex<OffsetDateTime>>,
    /// Passkey-provider display names (bundled, or reloaded from `passkey_providers`).
    pub providers: PasskeyProviders,
    /// `accepted_legal_header_sha256`, set once at start-up: each installed BLOB's legalHeader
    /// is compared with it ([`legal_header_sha256`]).
    pub accepted_legal_header: std::sync::OnceLock<String>,
    /// Entries of sources other than the MDS BLOB (further BLOB sources, operator statements),
    /// served after the BLOB's own in slot order ([`Shared::set_extra_entries`]).
    extra: Mutex<BTreeMap<ExtraSlot, Arc<[Arc<Entry>]>>>,
    /// The operator's metadata statements in force (`metadata_statements`), served in their
    /// extra-entries slot.
    pub statements: super::statements::Statements,
    /// The further BLOB sources' status (GetMetadataInfo).
    pub blob_sources: BlobSourceBoard,
}

/// Where a set of extra entries is served among the others: lower `order` first (its entries
/// win a key another extra source also claims; the MDS BLOB's own entries always win), then
/// by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExtraSlot {
    pub order: u32,
    pub name: String,
}

impl Shared {
    pub fn new(policy: StalePolicy, metrics: Arc<Metrics>) -> Shared {
        let providers = PasskeyProviders::bundled();
        metrics.set_passkey_provider_names(providers.current().list.len());
        Shared {
            current: ArcSwapOption::empty(),
            status: Mutex::new(RefreshStatus::default()),
            policy,
            changed: watch::channel(0).0,
            refresh_now: watch::channel(0).0,
            metrics,
            watch: WatchHub::default(),
            clock: None,
            providers,
            accepted_legal_header: std::sync::OnceLock::new(),
            extra: Mutex::new(BTreeMap::new()),
            statements: super::statements::Statements::default(),
            blob_sources: BlobSourceBoard::default(),
        }
    }

    /// Serves `entries` in `slot` from `now` on, replacing what that slot held (empty: the slot
    /// is removed); the entries whose status this changes are published to [`Shared::watch`]
    /// (a SourceChanged event). The BLOB being served is re-indexed with every slot's entries
    /// at once; the BLOB's own entries are unchanged and keep every key they claim
    /// ([`TrustStore::with_extra`](crate::trust_store::TrustStore::with_extra)).
    pub fn set_extra_entries(
        &self,
        slot: ExtraSlot,
        entries: Vec<Arc<Entry>>,
        now: OffsetDateTime,
    ) {
        self.replace_extra(slot, entries, now, true);
    }

    /// As [`Shared::set_extra_entries`] for entries restored from the state directory at
    /// start-up: what was served before the restart, so no event is published (subscribers were
    /// told when those entries first came).
    pub fn restore_extra_entries(&self, slot: ExtraSlot, entries: Vec<Arc<Entry>>) {
        self.replace_extra(slot, entries, OffsetDateTime::UNIX_EPOCH, false);
    }

    fn replace_extra(
        &self,
        slot: ExtraSlot,
        entries: Vec<Arc<Entry>>,
        now: OffsetDateTime,
        publish: bool,
    ) {
        let mut published = Vec::new();
        if let Ok(mut extra) = self.extra.lock() {
            if entries.is_empty() {
                extra.remove(&slot);
            } else {
                extra.insert(slot, entries.into());
            }
            // Re-indexed under the lock, so that two sources updating at once both end up
            // served; the status changes this brings are published (SourceChanged) under the
            // hub's lock (lock order: extra entries, then the hub, as in `install`).
            if let Some(current) = self.current() {
                let mut loaded = (*current).clone();
                loaded.blob.store = Arc::new(loaded.blob.store.with_extra(flatten(&extra)));
                let store = loaded.blob.store.clone();
                let loaded = Arc::new(loaded);
                if publish {
                    published = self.watch.replace_entries(&store, now, || {
                        self.current
                            .swap(Some(loaded))
                            .map(|previous| (previous.blob.store.clone(), previous.blob.no))
                    });
                } else {
                    self.current.store(Some(loaded));
                }
            }
        }
        self.published(&published);
        self.notify();
    }

    /// Judges at `clock` instead of the system clock (`danger_clock`); `None` keeps the system
    /// clock.
    pub fn with_clock(self, clock: Option<OffsetDateTime>) -> Shared {
        Shared { clock: clock.map(Mutex::new), ..self }
    }

    /// The time judgements are made at: the system clock, or the pinned `danger_clock`.
    pub fn now(&self) -> OffsetDateTime {
        self.pinned_clock().unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// The pinned `danger_clock`, if any.
    pub fn pinned_clock(&self) -> Option<OffsetDateTime> {
        let pin = self.clock.as_ref()?;
        Some(pin.lock().map_or_else(|p| *p.into_inner(), |p| *p))
    }

    /// Moves the pinned `danger_clock` to `at` and wakes what depends on time (the
    /// effective-date check, health): how tests make a date arrive without waiting for it.
    /// Returns false, changing nothing, when the clock is not pinned (the system clock is
    /// never overridden here).
    #[doc(hidden)]
    pub fn set_pinned_clock(&self, at: OffsetDateTime) -> bool {
        let Some(pin) = &self.clock else { return false };
        match pin.lock() {
            Ok(mut p) => *p = at,
            Err(p) => *p.into_inner() = at,
        }
        self.metrics.set_pinned_clock(at);
        self.notify();
        true
    }

    /// As [`Shared::new`] with the given watch hub (tests of lagging subscribers).
    pub fn with_watch(policy: StalePolicy, metrics: Arc<Metrics>, watch: WatchHub) -> Shared {
        Shared { watch, ..Shared::new(policy, metrics) }
    }

    /// Replaces the watch hub (start-up: the history read back from the state directory,
    /// before any BLOB is installed).
    pub fn with_watch_hub(self, watch: WatchHub) -> Shared {
        Shared { watch, ..self }
    }

    pub fn policy(&self) -> StalePolicy {
        self.policy
    }

    /// The BLOB being served, if any, regardless of staleness.
    pub fn current(&self) -> Option<Arc<Loaded>> {
        self.current.load_full()
    }

    /// Replaces the served BLOB whole at `now` (readers holding the old `Arc` keep it until
    /// done). When it replaces another BLOB, the entries whose status changed between the two
    /// at `now` are published to [`Shared::watch`], stamped `now` — after the statuses of the
    /// replaced BLOB that became effective by date since the last check
    /// ([`WatchHub::install`]; at start-up those of the BLOB installed, since before the
    /// restart). The entries of other sources ([`Shared::set_extra_entries`]) are served with it.
    pub fn install(&self, mut loaded: Loaded, now: OffsetDateTime) {
        self.metrics.set_loaded(&loaded.blob, loaded.verified_at);
        if let Some(changed) = self.legal_header_changed(&loaded.blob) {
            self.metrics.set_legal_header_changed(changed);
            if changed {
                tracing::warn!(no = loaded.blob.no,
                    sha256 = %legal_header_sha256(&loaded.blob),
                    accepted = self.accepted_legal_header.get().map(String::as_str).unwrap_or(""),
                    legal_header = loaded.blob.legal_header.as_deref().unwrap_or(""),
                    "the BLOB's legalHeader differs from the one accepted \
                     (accepted_legal_header_sha256): read it, then accept the new one");
            }
        }
        // Merged and swapped under the extra-entries lock, so that a source updating its
        // entries meanwhile is not lost (`set_extra_entries` re-indexes under the same lock).
        // Lock order: extra entries, then the watch hub (nothing takes them the other way).
        let extra = self.extra.lock();
        if let Ok(extra) = &extra {
            if !extra.is_empty() {
                loaded.blob.store = Arc::new(loaded.blob.store.with_extra(flatten(extra)));
                super::statements::warn_shadowed(&loaded.blob.store);
            }
        }
        let loaded = Arc::new(loaded);
        let published = self.watch.install((&loaded.blob.store, loaded.blob.no), now, || {
            self.current
                .swap(Some(loaded.clone()))
                .map(|previous| (previous.blob.store.clone(), previous.blob.no))
        });
        drop(extra);
        self.published(&published);
        self.notify();
    }

    /// The effective-date check at `now` ([`WatchHub::tick`]) against the BLOB served: the
    /// event published, if a status changed by date since the last check.
    pub fn publish_effective_dates(&self, now: OffsetDateTime) -> Option<Arc<ChangeEvent>> {
        let event = self.watch.tick(now, || {
            self.current().map(|loaded| (loaded.blob.store.clone(), loaded.blob.no))
        })?;
        self.published(std::slice::from_ref(&event));
        Some(event)
    }

    fn published(&self, events: &[Arc<ChangeEvent>]) {
        for e in events {
            self.metrics.watch_event(e.cause.as_str());
            tracing::info!(
                sequence = e.sequence,
                cause = e.cause.as_str(),
                no = e.no,
                previous_no = e.previous_no,
                changes = e.changes.len(),
                "status-change event"
            );
        }
    }

    /// Whether `blob`'s legalHeader differs from the accepted one; `None` when none is
    /// configured.
    pub fn legal_header_changed(&self, blob: &VerifiedBlob) -> Option<bool> {
        let accepted = self.accepted_legal_header.get()?;
        Some(legal_header_sha256(blob) != *accepted)
    }

    /// The BLOB a request may use at `now`, with its stale flag, or why there is none.
    pub fn for_request(&self, now: OffsetDateTime) -> Result<(Arc<Loaded>, bool), Unavailable> {
        let Some(loaded) = self.current() else {
            return Err(Unavailable::NotLoaded { last_error: self.status().last_error });
        };
        let stale = loaded.blob.is_stale(now);
        if stale {
            if let Some(serve_until) = self.serve_until(&loaded, now) {
                if now >= serve_until {
                    return Err(Unavailable::StaleBeyondGrace {
                        no: loaded.blob.no,
                        next_update: loaded.blob.next_update,
                        serve_until,
                    });
                }
            }
        }
        Ok((loaded, stale))
    }

    /// When serving `loaded` stops: the end of its nextUpdate day (UTC) plus the grace period
    /// (from `now` for a nextUpdate on the last representable day); `None` with
    /// `danger_serve_stale`.
    pub fn serve_until(&self, loaded: &Loaded, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if self.policy.serve_stale {
            return None;
        }
        let stale_from = loaded
            .blob
            .next_update
            .next_day()
            .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
            .unwrap_or(now);
        Some(stale_from.saturating_add(
            time::Duration::try_from(self.policy.grace).unwrap_or(time::Duration::MAX),
        ))
    }

    pub fn status(&self) -> RefreshStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn update_status(&self, f: impl FnOnce(&mut RefreshStatus)) {
        if let Ok(mut status) = self.status.lock() {
            f(&mut status);
        }
        self.notify();
    }

    /// Receives a new value whenever the served BLOB or the refresh status changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Asks every refresh loop to refresh now (SIGHUP, admin endpoint).
    pub fn trigger_refresh(&self) {
        self.refresh_now.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The refresh requests made from now on ([`Shared::trigger_refresh`]): `changed()`
    /// completes once per request (or run of requests) not yet seen. One per refresh loop.
    pub fn refresh_requests(&self) -> watch::Receiver<u64> {
        self.refresh_now.subscribe()
    }

    /// The metrics text exposition at `now`, with the gauges that depend on the BLOB served.
    pub fn render_metrics(&self, now: OffsetDateTime) -> String {
        let current = self.current();
        // The further sources' staleness at `now`.
        for status in self.blob_sources.all() {
            self.metrics.blob_sources.set(&status, now);
        }
        self.metrics.render(current.as_deref().map(|l| (&l.blob, l.fetched_at)), now)
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }
}

fn flatten(extra: &BTreeMap<ExtraSlot, Arc<[Arc<Entry>]>>) -> Vec<Arc<Entry>> {
    extra.values().flat_map(|entries| entries.iter().cloned()).collect()
}

/// A served BLOB built from an unverified payload, for the daemon's own unit tests only (the
/// daemon itself installs nothing that `verify_blob` did not return).
#[cfg(test)]
pub(crate) fn loaded_for_tests(json: &str, at: OffsetDateTime) -> Loaded {
    use crate::mds::{builtin_roots, parse_payload, JwsAlg, PayloadLimits};
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    let (parsed, anchor) = (
        parse_payload(json.as_bytes(), &PayloadLimits::default()).expect("test payload"),
        builtin_roots().into_iter().next().expect("a built-in root"),
    );
    Loaded {
        blob: VerifiedBlob {
            no: parsed.no,
            next_update: parsed.next_update,
            alg: JwsAlg::Rs256,
            anchor,
            chain: Vec::new(),
            crls: Vec::new(),
            legal_header: parsed.legal_header,
            store: Arc::new(parsed.store),
            quarantined: Vec::new(),
            unknown: Default::default(),
            revocation_checked: true,
            warnings: Default::default(),
        },
        source: "test".into(),
        restored: false,
        fetched_at: at,
        verified_at: at,
        etag: None,
        blob_sha256: [0; 32],
        published: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn loaded(next_update: &str) -> Loaded {
        let json = format!(r#"{{"no": 9, "nextUpdate": "{next_update}", "entries": []}}"#);
        loaded_for_tests(&json, datetime!(2026-01-01 00:00 UTC))
    }

    fn shared(grace_days: u64, serve_stale: bool) -> Shared {
        Shared::new(
            StalePolicy { grace: Duration::from_secs(grace_days * 86_400), serve_stale },
            Arc::new(Metrics::new()),
        )
    }

    #[test]
    fn nothing_loaded_is_unavailable_with_the_last_error() {
        let s = shared(7, false);
        s.update_status(|st| st.last_error = Some("HTTP 500".into()));
        assert_eq!(
            s.for_request(datetime!(2026-01-01 00:00 UTC)).unwrap_err(),
            Unavailable::NotLoaded { last_error: Some("HTTP 500".into()) }
        );
    }

    /// nextUpdate 2026-01-10: fresh through that day, stale from 2026-01-11 00:00 UTC, served
    /// for the 2-day grace, refused from 2026-01-13 00:00 UTC exactly.
    #[test]
    fn stale_boundaries() {
        let s = shared(2, false);
        s.install(loaded("2026-01-10"), datetime!(2026-01-01 00:00 UTC));
        let at = |t| s.for_request(t).map(|(_, stale)| stale);
        assert_eq!(at(datetime!(2026-01-10 23:59:59 UTC)), Ok(false));
        assert_eq!(at(datetime!(2026-01-11 00:00 UTC)), Ok(true));
        assert_eq!(at(datetime!(2026-01-12 23:59:59 UTC)), Ok(true));
        let serve_until = datetime!(2026-01-13 00:00 UTC);
        assert_eq!(
            at(serve_until),
            Err(Unavailable::StaleBeyondGrace {
                no: 9,
                next_update: time::macros::date!(2026 - 01 - 10),
                serve_until
            })
        );
        assert_eq!(s.serve_until(&s.current().unwrap(), serve_until), Some(serve_until));
    }

    #[test]
    fn danger_serve_stale_never_fails_closed() {
        let s = shared(0, true);
        s.install(loaded("2026-01-10"), datetime!(2026-01-01 00:00 UTC));
        assert_eq!(s.serve_until(&s.current().unwrap(), datetime!(2030-01-01 00:00 UTC)), None);
        assert!(s.for_request(datetime!(2030-01-01 00:00 UTC)).unwrap().1);
    }

    /// Extra entries are served beside the BLOB's own, survive the install of a newer BLOB,
    /// and go when their slot is emptied.
    #[test]
    fn extra_entries_are_served_beside_each_blob_installed() {
        let private = r#"{"no": 1, "nextUpdate": "2026-02-01", "entries": [{"aaguid":
            "cb69481e-8ff7-4039-93ec-0a2729a154a8", "metadataStatement": {"description": "p",
            "schema": 3, "protocolFamily": "fido2", "attestationTypes": ["basic_full"],
            "attestationRootCertificates": []}, "statusReports": []}]}"#;
        let entries: Vec<Arc<Entry>> = loaded_for_tests(private, datetime!(2026-01-01 00:00 UTC))
            .blob
            .store
            .entries()
            .to_vec();
        let aaguid = entries[0].aaguid().unwrap();
        let s = shared(7, false);
        let slot = ExtraSlot { order: 1, name: "statements".into() };
        // Set before any BLOB: kept for the first install.
        s.set_extra_entries(slot.clone(), entries.clone(), datetime!(2026-01-01 00:00 UTC));
        s.install(loaded("2026-01-10"), datetime!(2026-01-01 00:00 UTC));
        let served = |s: &Shared| s.current().unwrap().blob.store.by_aaguid(&aaguid).is_some();
        assert!(served(&s));
        let mut newer = loaded("2026-02-10");
        newer.blob.no = 10;
        s.install(newer, datetime!(2026-01-02 00:00 UTC));
        assert!(served(&s));
        assert_eq!(s.current().unwrap().blob.store.blob_entries().len(), 0);
        // The two installs published one NewBlob event (9 → 10, no status change).
        let all = |s: &Shared| s.watch.subscribe(super::super::watch::Since::Sequence(0), Some(10));
        assert_eq!(all(&s).unwrap().0.len(), 1);
        // The slot emptied: the entry is gone, told as a SourceChanged event at that instant.
        s.set_extra_entries(slot.clone(), Vec::new(), datetime!(2026-01-03 00:00 UTC));
        assert!(!served(&s));
        assert_eq!(s.current().unwrap().blob.no, 10);
        let events = all(&s).unwrap().0;
        assert_eq!(events.len(), 2);
        let e = &events[1];
        assert_eq!(
            (e.cause, e.no, e.previous_no),
            (super::super::watch::ChangeCause::SourceChanged, 10, 10)
        );
        assert_eq!(e.installed_at, datetime!(2026-01-03 00:00 UTC));
        assert_eq!(e.changes.len(), 1);
        assert_eq!(e.changes[0].kind, crate::changes::ChangeKind::Removed);
        assert_eq!(e.changes[0].aaguid, Some(aaguid));
        // Back again: Added. Setting the same entries once more changes nothing: no event.
        s.set_extra_entries(slot.clone(), entries.clone(), datetime!(2026-01-04 00:00 UTC));
        s.set_extra_entries(slot, entries, datetime!(2026-01-05 00:00 UTC));
        let events = all(&s).unwrap().0;
        assert_eq!(events.len(), 3);
        assert_eq!(events[2].changes[0].kind, crate::changes::ChangeKind::Added);
        let metrics = s.render_metrics(datetime!(2026-01-05 00:00 UTC));
        assert!(
            metrics.contains(r#"mdsd_watch_events_total{cause="source_changed"} 2"#),
            "{metrics}"
        );
    }

    #[test]
    fn install_replaces_whole_and_notifies() {
        let s = shared(7, false);
        let rx = s.subscribe();
        s.install(loaded("2026-01-10"), datetime!(2026-01-01 00:00 UTC));
        assert!(rx.has_changed().unwrap());
        let held = s.current().unwrap();
        let mut newer = loaded("2026-02-10");
        newer.blob.no = 10;
        s.install(newer, datetime!(2026-01-02 00:00 UTC));
        // A reader holding the old snapshot keeps it intact.
        assert_eq!(held.blob.no, 9);
        assert_eq!(s.current().unwrap().blob.no, 10);
        // The replacement is published, stamped with the caller's `now` (no clock read here).
        let (replay, _) = s.watch.subscribe(super::super::watch::Since::No(9), Some(10)).unwrap();
        assert_eq!(replay.len(), 1);
        assert_eq!((replay[0].previous_no, replay[0].no), (9, 10));
        assert_eq!(replay[0].installed_at, datetime!(2026-01-02 00:00 UTC));
    }
}
