//! WatchStatusChanges: a subscription to the daemon's [`WatchHub`](super::super::watch::WatchHub)
//! turned into a gRPC stream — the retained events first (after `since_no` or
//! `since_sequence`), then live ones, each once (by sequence); a lag ends the stream with
//! [`ApiError::WatchLagged`], a shutdown ends it cleanly.

use std::pin::Pin;
use std::sync::Arc;

use tonic::Status;

use super::super::proto::{StatusChangeEvent, WatchStatusChangesRequest};
use super::super::watch::{ChangeEvent, Since, SubscribeError};
use super::{convert, to_status, ApiError, Service};

/// The stream type of WatchStatusChanges.
pub type WatchStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<StatusChangeEvent, Status>> + Send + 'static>>;

/// Subscribes (replay since `since_no` or `since_sequence`, then live) against the BLOB
/// being served.
pub(super) fn handle(
    svc: &Service,
    req: WatchStatusChangesRequest,
) -> Result<WatchStream, ApiError> {
    let since = match (req.since_no, req.since_sequence) {
        (None, None) => Since::Live,
        (Some(no), None) => Since::No(no),
        (None, Some(sequence)) => Since::Sequence(sequence),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "since_sequence",
                "set since_no or since_sequence, not both",
            ))
        }
    };
    let current_no = svc.shared.current().map(|l| l.blob.no);
    let (replay, rx) = svc.shared.watch.subscribe(since, current_no).map_err(|e| match e {
        SubscribeError::NotRetained { since_no, oldest } => {
            ApiError::DiffNotRetained { since_no, oldest }
        }
        SubscribeError::FromTheFuture { since_no, current_no } => ApiError::invalid(
            "since_no",
            format!("{since_no} is newer than the BLOB served (no {current_no})"),
        ),
        SubscribeError::SequenceNotRetained { since_sequence, oldest } => {
            ApiError::SequenceNotRetained { since_sequence, oldest }
        }
        SubscribeError::SequenceFromTheFuture { since_sequence, last } => ApiError::invalid(
            "since_sequence",
            format!("{since_sequence} is greater than the last sequence published ({last})"),
        ),
    })?;
    Ok(Box::pin(watch_stream(replay, rx, svc.stop.clone())))
}

/// Replayed events, then live ones, through a small channel; a lag ends the stream with
/// [`ApiError::WatchLagged`], a shutdown ends it cleanly.
pub(super) fn watch_stream(
    replay: Vec<Arc<ChangeEvent>>,
    mut rx: tokio::sync::broadcast::Receiver<Arc<ChangeEvent>>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> tokio_stream::wrappers::ReceiverStream<Result<StatusChangeEvent, Status>> {
    use tokio::sync::broadcast::error::RecvError;
    let (tx, out) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        // The last event delivered: (sequence, no).
        let mut last: Option<(u64, u64)> = None;
        for event in replay {
            last = Some((event.sequence, event.no));
            if tx.send(Ok(convert::change_event(&event, true))).await.is_err() {
                return;
            }
        }
        let stopped = async move {
            match stop {
                Some(mut s) => {
                    let _ = s.wait_for(|v| *v).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(stopped);
        loop {
            let next = tokio::select! {
                r = rx.recv() => r,
                () = &mut stopped => return,
                () = tx.closed() => return,
            };
            match next {
                // Replayed already (sent between subscribing and replaying).
                Ok(event) if last.is_some_and(|(s, _)| event.sequence <= s) => {}
                Ok(event) => {
                    last = Some((event.sequence, event.no));
                    if tx.send(Ok(convert::change_event(&event, false))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let status = to_status(&ApiError::WatchLagged {
                        missed,
                        last_delivered: last.map(|(_, no)| no),
                        last_sequence: last.map(|(s, _)| s),
                    });
                    let _ = tx.send(Err(status)).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(out)
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;
    use crate::daemon::watch::{ChangeCause, WatchHub};

    fn new_blob(hub: &WatchHub, no: u64) {
        hub.publish_for_tests(ChangeCause::NewBlob, no, no - 1);
    }

    /// A subscriber that falls behind the buffer gets the events it could read, then ABORTED
    /// with WATCH_LAGGED naming how many it missed and where to resume: never a silent gap.
    #[tokio::test]
    async fn a_lagging_watch_stream_ends_with_an_explicit_error() {
        let hub = WatchHub::new(2, 16);
        new_blob(&hub, 2);
        let (replay, rx) = hub.subscribe(Since::Sequence(0), Some(2)).unwrap();
        let stream = watch_stream(replay, rx, None);
        for no in 3..=7 {
            new_blob(&hub, no);
        }
        let items: Vec<_> = stream.take(3).collect().await;
        assert_eq!(items[0].as_ref().unwrap().sequence, 1);
        let status = items[1].as_ref().unwrap_err();
        assert_eq!(status.code(), Code::Aborted);
        let info = status.get_error_details().error_info().unwrap().clone();
        assert_eq!(info.reason, "WATCH_LAGGED");
        assert_eq!(info.metadata["missed"], "3");
        assert_eq!(info.metadata["last_delivered_no"], "2");
        assert_eq!(info.metadata["last_delivered_sequence"], "1");
        assert!(status.message().contains("since_sequence = 1"), "{}", status.message());
        assert_eq!(items.len(), 2, "the stream ends after the lag error");
    }

    /// Replay then live, each event once (an event published between subscribing and the
    /// replay is not sent twice); an EFFECTIVE_DATE event of the same BLOB as the one before
    /// it is still sent (events are told apart by sequence, not by `no`); shutdown ends the
    /// stream cleanly.
    #[tokio::test]
    async fn watch_stream_replays_then_goes_live_without_duplicates() {
        let hub = WatchHub::new(8, 16);
        new_blob(&hub, 2);
        new_blob(&hub, 3);
        let (replay, rx) = hub.subscribe(Since::No(1), Some(3)).unwrap();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut stream = watch_stream(replay, rx, Some(stop_rx));
        hub.publish_for_tests(ChangeCause::EffectiveDate, 3, 3);
        new_blob(&hub, 4);
        let mut got = Vec::new();
        for _ in 0..4 {
            let e = stream.next().await.unwrap().unwrap();
            got.push((e.sequence, e.cause, e.metadata_no, e.previous_no, e.replayed));
        }
        let (new, date) =
            (proto_cause(ChangeCause::NewBlob), proto_cause(ChangeCause::EffectiveDate));
        assert_eq!(
            got,
            [
                (1, new, 2, 1, true),
                (2, new, 3, 2, true),
                (3, date, 3, 3, false),
                (4, new, 4, 3, false)
            ]
        );
        stop_tx.send(true).unwrap();
        assert!(stream.next().await.is_none());
    }

    fn proto_cause(c: ChangeCause) -> i32 {
        convert::change_cause(c) as i32
    }
}
