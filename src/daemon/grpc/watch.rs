//! WatchStatusChanges: a subscription to the daemon's [`WatchHub`](super::super::watch::WatchHub)
//! turned into a gRPC stream — the retained events first, then live ones; a lag ends the stream
//! with [`ApiError::WatchLagged`], a shutdown ends it cleanly.

use std::pin::Pin;
use std::sync::Arc;

use tonic::Status;

use super::super::proto::{StatusChangeEvent, WatchStatusChangesRequest};
use super::super::watch::{ChangeEvent, SubscribeError};
use super::{convert, to_status, ApiError, Service};

/// The stream type of WatchStatusChanges.
pub type WatchStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<StatusChangeEvent, Status>> + Send + 'static>>;

/// Subscribes (replay since `since_no`, then live) against the BLOB being served.
pub(super) fn handle(
    svc: &Service,
    req: WatchStatusChangesRequest,
) -> Result<WatchStream, ApiError> {
    let current_no = svc.shared.current().map(|l| l.blob.no);
    let (replay, rx) =
        svc.shared.watch.subscribe(req.since_no, current_no).map_err(|e| match e {
            SubscribeError::NotRetained { since_no, oldest } => {
                ApiError::DiffNotRetained { since_no, oldest }
            }
            SubscribeError::FromTheFuture { since_no, current_no } => ApiError::invalid(
                "since_no",
                format!("{since_no} is newer than the BLOB served (no {current_no})"),
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
        let mut last: Option<u64> = None;
        for event in replay {
            last = Some(event.no);
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
                Ok(event) if last.is_some_and(|l| event.no <= l) => {}
                Ok(event) => {
                    last = Some(event.no);
                    if tx.send(Ok(convert::change_event(&event, false))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let status = to_status(&ApiError::WatchLagged { missed, last_delivered: last });
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
    use crate::daemon::watch::WatchHub;

    fn event(no: u64) -> ChangeEvent {
        ChangeEvent {
            no,
            previous_no: no - 1,
            changes: vec![],
            installed_at: time::macros::datetime!(2026-01-01 00:00 UTC),
        }
    }

    /// A subscriber that falls behind the buffer gets the events it could read, then ABORTED
    /// with WATCH_LAGGED naming how many it missed and where to resume: never a silent gap.
    #[tokio::test]
    async fn a_lagging_watch_stream_ends_with_an_explicit_error() {
        let hub = WatchHub::new(2, 16);
        let (replay, rx) = hub.subscribe(None, Some(1)).unwrap();
        let stream = watch_stream(replay, rx, None);
        for no in 2..=6 {
            hub.publish(event(no));
        }
        let items: Vec<_> = stream.take(3).collect().await;
        let status = items[0].as_ref().unwrap_err();
        assert_eq!(status.code(), Code::Aborted);
        let info = status.get_error_details().error_info().unwrap().clone();
        assert_eq!(info.reason, "WATCH_LAGGED");
        assert_eq!(info.metadata["missed"], "3");
        assert_eq!(items.len(), 1, "the stream ends after the lag error");
    }

    /// Replay then live, each event once (an event published between subscribing and the
    /// replay is not sent twice); shutdown ends the stream cleanly.
    #[tokio::test]
    async fn watch_stream_replays_then_goes_live_without_duplicates() {
        let hub = WatchHub::new(8, 16);
        hub.publish(event(2));
        hub.publish(event(3));
        let (replay, rx) = hub.subscribe(Some(1), Some(3)).unwrap();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut stream = watch_stream(replay, rx, Some(stop_rx));
        hub.publish(event(4));
        let mut got = Vec::new();
        for _ in 0..3 {
            let e = stream.next().await.unwrap().unwrap();
            got.push((e.metadata_no, e.replayed));
        }
        assert_eq!(got, [(2, true), (3, true), (4, false)]);
        stop_tx.send(true).unwrap();
        assert!(stream.next().await.is_none());
    }
}
