//! Status-change notifications, the broadcast hub: the core's
//! [`diff_status`](crate::changes::diff_status) compares the trust store being replaced with the
//! new one, and [`WatchHub`] keeps the last [`HISTORY`] diffs for replay and broadcasts each new
//! one to WatchStatusChanges subscribers through a bounded channel. A subscriber that falls more
//! than [`BUFFER`] events behind is told so (never silently skipped).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::changes::StatusChange;

/// Events a subscriber may fall behind before it is cut off with a lag error.
pub const BUFFER: usize = 64;
/// Diffs kept for `since_no` replay.
pub const HISTORY: usize = 64;

/// The changes one installed BLOB brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    pub no: u64,
    pub previous_no: u64,
    pub changes: Vec<StatusChange>,
    pub installed_at: OffsetDateTime,
}

/// The retained events to replay first, and the live receiver.
pub type Subscription = (Vec<Arc<ChangeEvent>>, broadcast::Receiver<Arc<ChangeEvent>>);

/// Why a subscription cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeError {
    /// The diffs since `since_no` are no longer (or were never) held.
    NotRetained { since_no: u64, oldest: Option<u64> },
    /// `since_no` is newer than the BLOB being served.
    FromTheFuture { since_no: u64, current_no: u64 },
}

/// History and broadcast of change events.
#[derive(Debug)]
pub struct WatchHub {
    inner: Mutex<VecDeque<Arc<ChangeEvent>>>,
    sender: broadcast::Sender<Arc<ChangeEvent>>,
    history: usize,
}

impl Default for WatchHub {
    fn default() -> Self {
        WatchHub::new(BUFFER, HISTORY)
    }
}

impl WatchHub {
    /// `buffer`: events a subscriber may lag; `history`: diffs kept for replay.
    pub fn new(buffer: usize, history: usize) -> WatchHub {
        WatchHub {
            inner: Mutex::new(VecDeque::new()),
            sender: broadcast::channel(buffer.max(1)).0,
            history: history.max(1),
        }
    }

    /// Records and broadcasts one event (no receivers is fine).
    pub fn publish(&self, event: ChangeEvent) {
        let event = Arc::new(event);
        if let Ok(mut h) = self.inner.lock() {
            if h.len() >= self.history {
                h.pop_front();
            }
            h.push_back(event.clone());
            // Sent under the lock so that a subscriber sees each event once: either in its
            // replay or live.
            let _ = self.sender.send(event);
        }
    }

    /// A live receiver plus the retained events after `since_no` (when given), taken
    /// atomically. `current_no`: the BLOB being served (`None`: none yet).
    pub fn subscribe(
        &self,
        since_no: Option<u64>,
        current_no: Option<u64>,
    ) -> Result<Subscription, SubscribeError> {
        let h = self.inner.lock().map_err(|_| SubscribeError::NotRetained {
            since_no: since_no.unwrap_or(0),
            oldest: None,
        })?;
        let rx = self.sender.subscribe();
        let Some(since) = since_no else { return Ok((Vec::new(), rx)) };
        if let Some(current) = current_no {
            if since > current {
                return Err(SubscribeError::FromTheFuture { since_no: since, current_no: current });
            }
            if since == current {
                return Ok((Vec::new(), rx));
            }
        }
        // The retained chain must start at or before `since`.
        let oldest = h.front().map(|e| e.previous_no);
        match oldest {
            Some(first) if first <= since => {
                Ok((h.iter().filter(|e| e.no > since).cloned().collect(), rx))
            }
            _ => Err(SubscribeError::NotRetained { since_no: since, oldest }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(no: u64) -> ChangeEvent {
        ChangeEvent {
            no,
            previous_no: no - 1,
            changes: vec![],
            installed_at: datetime!(2026-01-01 00:00 UTC),
        }
    }

    #[test]
    fn replay_since_a_retained_no_and_refusal_beyond_history() {
        let hub = WatchHub::new(4, 2);
        for no in 2..=4 {
            hub.publish(event(no));
        }
        // History holds 3 (2→3) and 4 (3→4).
        let (replay, _) = hub.subscribe(Some(2), Some(4)).unwrap();
        assert_eq!(replay.iter().map(|e| e.no).collect::<Vec<_>>(), [3, 4]);
        let (replay, _) = hub.subscribe(Some(3), Some(4)).unwrap();
        assert_eq!(replay.iter().map(|e| e.no).collect::<Vec<_>>(), [4]);
        assert!(hub.subscribe(Some(4), Some(4)).unwrap().0.is_empty());
        assert_eq!(
            hub.subscribe(Some(1), Some(4)).unwrap_err(),
            SubscribeError::NotRetained { since_no: 1, oldest: Some(2) }
        );
        assert_eq!(
            hub.subscribe(Some(9), Some(4)).unwrap_err(),
            SubscribeError::FromTheFuture { since_no: 9, current_no: 4 }
        );
        assert!(hub.subscribe(None, Some(4)).unwrap().0.is_empty());
    }

    #[tokio::test]
    async fn a_lagging_receiver_is_told_how_many_it_missed() {
        let hub = WatchHub::new(2, 8);
        let (_, mut rx) = hub.subscribe(None, None).unwrap();
        for no in 2..=5 {
            hub.publish(event(no));
        }
        assert_eq!(rx.recv().await.unwrap_err(), broadcast::error::RecvError::Lagged(2));
    }
}
