//! Status-change notifications, the broadcast hub. Two causes of events: a new BLOB (the core's
//! [`diff_status`] compares the trust store being replaced with the new one) and an effective
//! date (the core's [`diff_status_over`] compares the BLOB served with itself between the last
//! instant published and now, when [`next_status_change`] says a status report became
//! effective in between). [`WatchHub`] numbers every event (`sequence`), keeps the last
//! [`HISTORY`] for replay, and broadcasts each new one to WatchStatusChanges subscribers
//! through a bounded channel. A subscriber that falls more than [`BUFFER`] events behind is
//! told so (never silently skipped).
//!
//! The history, the sequence counter and the instant up to which effective-date changes were
//! published ([`HistoryState`]) are written to the state directory by [`task::run`] and given
//! back at start-up ([`WatchHub::restored`]): replay survives a restart, sequences go on, and a
//! date that passed while the daemon was down is published at start (from the last instant
//! recorded to now). Installing and the effective-date check run under the hub's lock, so the
//! two never interleave.

pub mod task;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::changes::{diff_status, diff_status_over, next_status_change, StatusChange};
use crate::trust_store::TrustStore;

/// Events a subscriber may fall behind before it is cut off with a lag error.
pub const BUFFER: usize = 64;
/// Events kept for `since_no` / `since_sequence` replay (in memory and in the state directory).
pub const HISTORY: usize = 64;

/// Why an event was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCause {
    /// A BLOB was installed in place of another.
    NewBlob,
    /// Status reports of the BLOB served became effective by their date.
    EffectiveDate,
    /// Entries served beside the BLOB changed: a further BLOB source installed a newer BLOB or
    /// stopped being served, or the operator's metadata statements were reloaded.
    SourceChanged,
}

impl ChangeCause {
    /// The metric label and history-file name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeCause::NewBlob => "new_blob",
            ChangeCause::EffectiveDate => "effective_date",
            ChangeCause::SourceChanged => "source_changed",
        }
    }
}

/// The changes one installed BLOB, or one effective date, brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// 1 for the first event of the history, one more for each later one.
    pub sequence: u64,
    pub cause: ChangeCause,
    /// The BLOB installed (NewBlob) or served (EffectiveDate).
    pub no: u64,
    /// The BLOB replaced (NewBlob); `no` itself (EffectiveDate).
    pub previous_no: u64,
    pub changes: Vec<StatusChange>,
    /// When it was published.
    pub installed_at: OffsetDateTime,
}

/// What survives a restart: the retained events (oldest first, consecutive sequences), the
/// last sequence given out, and the instant up to which effective-date changes were published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryState {
    pub sequence: u64,
    pub effective_through: Option<OffsetDateTime>,
    pub events: Vec<Arc<ChangeEvent>>,
}

impl HistoryState {
    /// The history to start with when the one written before could not be read back (a
    /// damaged file, a stuck state directory): no event held, and the sequence counter moved
    /// to the wall clock's Unix time in milliseconds, so that the numbers given out from now
    /// on are above every number given out before (at fewer than 1,000 events a second since
    /// 1970, which is all of them). A client resuming from a number of the lost history is
    /// then told that its events are not retained (re-read everything), never handed the
    /// unrelated events that would have reused its number. `wall`: the system clock (not
    /// `danger_clock`: this is about numbering across process lifetimes, not about judging).
    pub fn lost(wall: OffsetDateTime) -> HistoryState {
        let millis = wall.unix_timestamp_nanos() / 1_000_000;
        HistoryState { sequence: u64::try_from(millis).unwrap_or(0), ..HistoryState::default() }
    }
}

/// The retained events to replay first, and the live receiver.
pub type Subscription = (Vec<Arc<ChangeEvent>>, broadcast::Receiver<Arc<ChangeEvent>>);

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Live events only.
    Live,
    /// After the BLOB with this `no` (events of newer BLOBs).
    No(u64),
    /// After the event with this sequence.
    Sequence(u64),
}

/// Why a subscription cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeError {
    /// The diffs since `since_no` are no longer (or were never) held.
    NotRetained { since_no: u64, oldest: Option<u64> },
    /// `since_no` is newer than the BLOB being served.
    FromTheFuture { since_no: u64, current_no: u64 },
    /// An event after `since_sequence` is no longer held; `oldest`: the oldest held.
    SequenceNotRetained { since_sequence: u64, oldest: Option<u64> },
    /// `since_sequence` is greater than the last sequence published.
    SequenceFromTheFuture { since_sequence: u64, last: u64 },
}

/// History and broadcast of change events.
#[derive(Debug)]
pub struct WatchHub {
    inner: Mutex<Inner>,
    sender: broadcast::Sender<Arc<ChangeEvent>>,
    history: usize,
}

#[derive(Debug, Default)]
struct Inner {
    events: VecDeque<Arc<ChangeEvent>>,
    sequence: u64,
    effective_through: Option<OffsetDateTime>,
    /// One more at each change of the above (what the history file must catch up with).
    generation: u64,
}

impl Default for WatchHub {
    fn default() -> Self {
        WatchHub::new(BUFFER, HISTORY)
    }
}

impl WatchHub {
    /// `buffer`: events a subscriber may lag; `history`: events kept for replay.
    pub fn new(buffer: usize, history: usize) -> WatchHub {
        WatchHub::restored(buffer, history, HistoryState::default())
    }

    /// As [`WatchHub::new`], holding `state` read back from the state directory (the oldest
    /// events beyond `history` dropped).
    pub fn restored(buffer: usize, history: usize, state: HistoryState) -> WatchHub {
        let history = history.max(1);
        let mut events: VecDeque<_> = state.events.into();
        while events.len() > history {
            events.pop_front();
        }
        WatchHub {
            inner: Mutex::new(Inner {
                events,
                sequence: state.sequence,
                effective_through: state.effective_through,
                generation: 0,
            }),
            sender: broadcast::channel(buffer.max(1)).0,
            history,
        }
    }

    /// A BLOB is installed at `now`: under the hub's lock, `swap` replaces the served BLOB and
    /// returns the one replaced (store and `no`), if any. Then, in this order:
    /// 1. the replaced BLOB's statuses that became effective since the last instant published
    ///    (an EffectiveDate event; at start-up, when nothing is replaced, those of the new BLOB
    ///    since the instant recorded before the restart);
    /// 2. the changes between the replaced BLOB and the new one at `now` (a NewBlob event, when
    ///    the `no` differs or a status does: the same BLOB verified again is no event).
    ///
    /// Returns the events published, in order.
    pub fn install(
        &self,
        new: (&TrustStore, u64),
        now: OffsetDateTime,
        swap: impl FnOnce() -> Option<(Arc<TrustStore>, u64)>,
    ) -> Vec<Arc<ChangeEvent>> {
        // A poisoned lock is taken over: the BLOB must be installed whatever happened here.
        let mut inner = self.lock();
        let previous = swap();
        let mut out = Vec::new();
        match previous {
            Some((old, old_no)) => {
                out.extend(self.catch_up(&mut inner, &old, old_no, now));
                let changes = diff_status(&old, new.0, now);
                if new.1 != old_no || !changes.is_empty() {
                    let e =
                        self.publish(&mut inner, ChangeCause::NewBlob, new.1, old_no, changes, now);
                    out.push(e);
                    // The new store's statuses at `now` are what subscribers know now.
                    advance(&mut inner, now);
                }
            }
            None => {
                out.extend(self.catch_up(&mut inner, new.0, new.1, now));
                if inner.effective_through.is_none() {
                    advance(&mut inner, now);
                }
            }
        }
        out
    }

    /// The entries served beside the BLOB change at `now` (a further source, the operator's
    /// statements): under the hub's lock, `swap` replaces the served store and returns the one
    /// replaced with its `no`. The statuses of the replaced store that became effective since
    /// the last instant published go first (as in [`WatchHub::install`]), then the changes
    /// between the two stores at `now` as one SourceChanged event (`no` = `previous_no` = the
    /// BLOB served), when there are any.
    pub fn replace_entries(
        &self,
        new: &TrustStore,
        now: OffsetDateTime,
        swap: impl FnOnce() -> Option<(Arc<TrustStore>, u64)>,
    ) -> Vec<Arc<ChangeEvent>> {
        let mut inner = self.lock();
        let Some((old, no)) = swap() else { return Vec::new() };
        let mut out: Vec<_> = self.catch_up(&mut inner, &old, no, now).into_iter().collect();
        let changes = diff_status(&old, new, now);
        if !changes.is_empty() {
            out.push(self.publish(&mut inner, ChangeCause::SourceChanged, no, no, changes, now));
            advance(&mut inner, now);
        }
        out
    }

    /// The effective-date check at `now` against the BLOB `current` returns (read under the
    /// hub's lock, so that no install interleaves): the event published, if a status changed
    /// since the last instant published.
    pub fn tick(
        &self,
        now: OffsetDateTime,
        current: impl FnOnce() -> Option<(Arc<TrustStore>, u64)>,
    ) -> Option<Arc<ChangeEvent>> {
        let mut inner = self.lock();
        let (store, no) = current()?;
        self.catch_up(&mut inner, &store, no, now)
    }

    /// The instant up to which effective-date changes were published (`None`: no BLOB served
    /// yet, ever).
    pub fn effective_through(&self) -> Option<OffsetDateTime> {
        self.lock().effective_through
    }

    /// What the history file should hold, with the generation it reflects.
    pub fn state(&self) -> (u64, HistoryState) {
        let inner = self.lock();
        (
            inner.generation,
            HistoryState {
                sequence: inner.sequence,
                effective_through: inner.effective_through,
                events: inner.events.iter().cloned().collect(),
            },
        )
    }

    /// Changes with every event published and every move of the effective-date instant.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// A live receiver plus the retained events after `since`, taken atomically.
    /// `current_no`: the BLOB being served (`None`: none yet).
    pub fn subscribe(
        &self,
        since: Since,
        current_no: Option<u64>,
    ) -> Result<Subscription, SubscribeError> {
        let h = self.lock();
        let rx = self.sender.subscribe();
        match since {
            Since::Live => Ok((Vec::new(), rx)),
            Since::No(since) => {
                if let Some(current) = current_no {
                    if since > current {
                        return Err(SubscribeError::FromTheFuture {
                            since_no: since,
                            current_no: current,
                        });
                    }
                    if since == current {
                        return Ok((Vec::new(), rx));
                    }
                }
                // The retained chain must start at or before `since`.
                let oldest = h.events.front().map(|e| e.previous_no);
                match oldest {
                    Some(first) if first <= since => {
                        Ok((h.events.iter().filter(|e| e.no > since).cloned().collect(), rx))
                    }
                    _ => Err(SubscribeError::NotRetained { since_no: since, oldest }),
                }
            }
            Since::Sequence(since) => {
                if since > h.sequence {
                    return Err(SubscribeError::SequenceFromTheFuture {
                        since_sequence: since,
                        last: h.sequence,
                    });
                }
                if since == h.sequence {
                    return Ok((Vec::new(), rx));
                }
                // Every event from since + 1 on must be held (sequences are consecutive).
                let oldest = h.events.front().map(|e| e.sequence);
                match oldest {
                    Some(first) if first <= since.saturating_add(1) => {
                        Ok((h.events.iter().filter(|e| e.sequence > since).cloned().collect(), rx))
                    }
                    _ => Err(SubscribeError::SequenceNotRetained { since_sequence: since, oldest }),
                }
            }
        }
    }

    /// Publishes one event as if installed or effective at 2026-01-01 (tests of subscribers).
    #[cfg(test)]
    pub(crate) fn publish_for_tests(
        &self,
        cause: ChangeCause,
        no: u64,
        previous_no: u64,
    ) -> Arc<ChangeEvent> {
        let mut inner = self.lock();
        let at = time::macros::datetime!(2026-01-01 00:00 UTC);
        self.publish(&mut inner, cause, no, previous_no, Vec::new(), at)
    }

    /// The hub's state; a lock poisoned by a panic elsewhere is taken over (every change
    /// under it is a few assignments that leave it consistent).
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes the changes of `store` (BLOB `no`) from the instant last published to `now`
    /// when a status report became effective in between, and moves that instant to `now`.
    /// Nothing before the first BLOB was ever served, and the instant never moves back (a
    /// clock set back publishes nothing).
    fn catch_up(
        &self,
        inner: &mut Inner,
        store: &TrustStore,
        no: u64,
        now: OffsetDateTime,
    ) -> Option<Arc<ChangeEvent>> {
        let from = inner.effective_through?;
        if now <= from || next_status_change(store, from).is_none_or(|at| at > now) {
            return None;
        }
        let changes = diff_status_over(store, from, now);
        advance(inner, now);
        if changes.is_empty() {
            return None;
        }
        Some(self.publish(inner, ChangeCause::EffectiveDate, no, no, changes, now))
    }

    /// Numbers, records and broadcasts one event (no receivers is fine).
    fn publish(
        &self,
        inner: &mut Inner,
        cause: ChangeCause,
        no: u64,
        previous_no: u64,
        changes: Vec<StatusChange>,
        at: OffsetDateTime,
    ) -> Arc<ChangeEvent> {
        inner.sequence = inner.sequence.saturating_add(1);
        inner.generation = inner.generation.wrapping_add(1);
        let event = Arc::new(ChangeEvent {
            sequence: inner.sequence,
            cause,
            no,
            previous_no,
            changes,
            installed_at: at,
        });
        if inner.events.len() >= self.history {
            inner.events.pop_front();
        }
        inner.events.push_back(event.clone());
        // Sent under the lock so that a subscriber sees each event once: either in its replay
        // or live.
        let _ = self.sender.send(event.clone());
        event
    }
}

/// Effective-date changes are published up to `now` (never moved back).
fn advance(inner: &mut Inner, now: OffsetDateTime) {
    if inner.effective_through.is_none_or(|t| t < now) {
        inner.effective_through = Some(now);
        inner.generation = inner.generation.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests;
