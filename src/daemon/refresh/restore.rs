//! Restoring a refresher's snapshot at start-up: read once, its checksum computed on a second
//! thread while the BLOB is verified again in place; installed (and the rollback floor set)
//! when it passes, and a restore stuck on the state directory's I/O handed to the refresh loop
//! instead of holding up start-up ([`Refresher::finish_restore_within`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use thiserror::Error;
use time::OffsetDateTime;

use super::super::mirror::{crls_for_chain, Published};
use super::super::snapshot_file::{SnapshotError, SnapshotVerifyError, StateDir};
use super::super::state::{blob_digest, Loaded};
use super::Refresher;
use crate::mds::{BlobVerifyOptions, VerifiedBlob};
use crate::x509::Crl;

impl Refresher {
    /// Loads the snapshot from the state directory, verifies it again at `now`, and serves it
    /// when it passes. A checksum-valid snapshot sets the rollback floor even when it no longer
    /// verifies (e.g. its CRLs expired while mdsd was down): mdsd wrote it only after a full
    /// verification, and forgetting the floor would let an older BLOB be replayed.
    ///
    /// The file is read once; its checksum is computed on a second thread while the BLOB is
    /// verified in place, and nothing is served (nor the floor set) unless the checksum passed.
    pub async fn restore(&mut self, now: OffsetDateTime) -> Result<Option<u64>, RestoreError> {
        let pending = self.start_restore(now);
        self.finish_restore(pending).await
    }

    /// Starts [`Refresher::restore`]'s reading and verification on a thread of its own, so
    /// that it overlaps the rest of the start-up; [`Refresher::finish_restore`] installs the
    /// result.
    pub fn start_restore(&self, now: OffsetDateTime) -> PendingRestore {
        let Some(state) = self.state.clone() else { return PendingRestore(None) };
        let max = self.params.max_blob_bytes;
        let opts = self.verify_options();
        let publish = self.publishing();
        let (done, task) = tokio::sync::oneshot::channel();
        // A thread of its own rather than the blocking pool: a read stuck in the kernel (a hung
        // network filesystem) must not hold up the runtime's shutdown, which waits for the pool.
        let spawned = std::thread::Builder::new().name("mdsd-restore".into()).spawn(move || {
            let _ = done.send(restore_snapshot(&state, max, opts, now, publish));
        });
        if let Err(e) = spawned {
            // The sender went with the closure: finish_restore reports RestoreError::Task.
            tracing::error!(error = %e, "could not start the snapshot restore thread");
        }
        PendingRestore(Some((task, now)))
    }

    /// Waits for a restore started by [`Refresher::start_restore`]; sets the floor and serves
    /// the BLOB as [`Refresher::restore`] describes.
    pub async fn finish_restore(
        &mut self,
        pending: PendingRestore,
    ) -> Result<Option<u64>, RestoreError> {
        let Some((task, now)) = pending.0 else { return Ok(None) };
        let restored = task.await.map_err(|_| RestoreError::Task(RESTORE_LOST.into()))?;
        self.apply_restored(restored, now)
    }

    /// As [`Refresher::finish_restore`], waiting at most `wait`. A restore still running then
    /// (the state directory's I/O is stuck: a hung network filesystem, a failing disk) is kept:
    /// [`Refresher::run`] starts its rounds at once, without the snapshot's rollback floor, and
    /// installs the snapshot (floor, and its BLOB unless a newer one is served by then) when it
    /// finishes. Answers [`RestoreError::StillRunning`] in that case.
    pub async fn finish_restore_within(
        &mut self,
        pending: PendingRestore,
        wait: Duration,
    ) -> Result<Option<u64>, RestoreError> {
        let Some((mut task, now)) = pending.0 else { return Ok(None) };
        match tokio::time::timeout(wait, &mut task).await {
            Ok(joined) => {
                let restored = joined.map_err(|_| RestoreError::Task(RESTORE_LOST.into()))?;
                self.apply_restored(restored, now)
            }
            Err(_) => {
                self.late_restore = Some((task, now));
                Err(RestoreError::StillRunning { waited: wait })
            }
        }
    }

    /// Sets the floor from a restored snapshot and serves its BLOB when it verified again and
    /// nothing as new is served already (a round may have run while a late restore was stuck).
    fn apply_restored(
        &mut self,
        restored: Result<Option<Restored>, SnapshotError>,
        now: OffsetDateTime,
    ) -> Result<Option<u64>, RestoreError> {
        let Some(restored) = restored? else { return Ok(None) };
        self.floor = self.floor.max(Some(restored.no));
        let verified = restored.verified?;
        let no = verified.no;
        if self.held().is_some_and(|current| current.blob.no >= no) {
            return Ok(Some(no));
        }
        // The stored ETag belongs to the source the BLOB came from.
        if let Some(i) = self.params.urls.iter().position(|s| s.to_string() == restored.source) {
            if let Some(slot) = self.etags.get_mut(i) {
                slot.clone_from(&restored.etag);
            }
        }
        let loaded = Loaded {
            blob: verified,
            blob_sha256: restored.blob_sha256,
            source: restored.source,
            restored: true,
            fetched_at: restored.fetched_at,
            verified_at: now,
            etag: restored.etag,
            published: restored.published.map(Arc::new),
        };
        self.accept(loaded, now);
        Ok(Some(no))
    }

    /// Installs a late restore (see [`Refresher::finish_restore_within`]) that has finished;
    /// returns at once otherwise.
    pub(super) fn poll_late_restore(&mut self) {
        let Some((task, now)) = self.late_restore.as_mut() else { return };
        let joined = match task.try_recv() {
            Err(tokio::sync::oneshot::error::TryRecvError::Empty) => return,
            Ok(restored) => Ok(restored),
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Err(RESTORE_LOST),
        };
        let now = *now;
        self.late_restore = None;
        self.finish_late(joined, now);
    }

    pub(super) fn finish_late(&mut self, joined: Result<RestoreResult, &str>, now: OffsetDateTime) {
        let outcome = joined
            .map_err(|e| RestoreError::Task(e.to_string()))
            .and_then(|restored| self.apply_restored(restored, now));
        let serving = self.held().map(|c| c.blob.no);
        match outcome {
            Ok(Some(no)) => tracing::info!(
                no,
                serving = %serving.map_or_else(|| "nothing".to_string(), |n| n.to_string()),
                floor = %self.floor.map_or_else(|| "none".to_string(), |n| n.to_string()),
                "late snapshot restore finished: rollback floor set (its BLOB served unless a \
                 newer one is)"
            ),
            Ok(None) => tracing::info!("late snapshot restore finished: no snapshot"),
            Err(e) => e.log(),
        }
    }
}

/// How long start-up, and so the first refresh round, waits for the snapshot restore. Reading
/// and verifying a snapshot takes well under a second (cold start: 49–65 ms for a 16 MB BLOB,
/// BENCHMARKS.md); only a stuck state directory (a hung network filesystem, a failing disk)
/// takes longer, and then the daemon goes on without it ([`Refresher::finish_restore_within`]).
pub const RESTORE_WAIT: Duration = Duration::from_secs(10);

/// A restore running on its own thread ([`Refresher::start_restore`]); `None` without a state
/// directory.
#[derive(Debug)]
pub struct PendingRestore(pub(super) Option<(RestoreTask, OffsetDateTime)>);

pub(super) type RestoreResult = Result<Option<Restored>, SnapshotError>;
pub(super) type RestoreTask = tokio::sync::oneshot::Receiver<RestoreResult>;

/// What a restore whose thread ended without an answer (a panic) reports.
const RESTORE_LOST: &str = "the restore thread ended without a result";

/// Waits for the late restore in `slot` and takes it out; `None` when there is none.
pub(super) async fn wait_late(
    slot: &mut Option<(RestoreTask, OffsetDateTime)>,
) -> Option<(Result<RestoreResult, &'static str>, OffsetDateTime)> {
    let (task, _) = slot.as_mut()?;
    let joined = task.await.map_err(|_| RESTORE_LOST);
    slot.take().map(|(_, now)| (joined, now))
}

/// Why the snapshot in the state directory is not served.
#[derive(Debug, Error)]
pub enum RestoreError {
    /// Unreadable, not a regular file, corrupt, or too large: nothing served, no floor set.
    #[error(transparent)]
    Read(#[from] SnapshotError),
    /// Read and checksum-valid, but its BLOB did not verify again: not served, but its `no`
    /// is the rollback floor.
    #[error(transparent)]
    Verify(#[from] SnapshotVerifyError),
    /// Still running after [`RESTORE_WAIT`]: the refresh loop goes on without it and installs
    /// it when it finishes.
    #[error(
        "the snapshot restore is still running after {} s (state directory I/O stuck?)",
        .waited.as_secs()
    )]
    StillRunning { waited: Duration },
    /// The restore thread could not be started, or ended without a result (a panic).
    #[error("snapshot restore: {0}")]
    Task(String),
}

impl RestoreError {
    /// Logs why the snapshot is not served: ERROR when the state directory needs an operator
    /// (a planted non-regular file, stuck I/O), WARN otherwise (damaged or no longer verifying:
    /// the next download replaces it).
    pub fn log(&self) {
        match self {
            RestoreError::Read(SnapshotError::NotRegular { path, kind }) => tracing::error!(
                path = %path.display(), file_type = kind.as_str(), error = %self,
                "snapshot refused: not a regular file; not served, waiting for the first download"
            ),
            RestoreError::StillRunning { waited } => tracing::error!(
                waited_secs = waited.as_secs(), error = %self,
                "snapshot restore still running; refreshing without it (no rollback floor until \
                 it finishes, then it is installed)"
            ),
            _ => {
                tracing::warn!(error = %self, "snapshot not usable; waiting for the first download")
            }
        }
    }
}

/// A snapshot read back at start-up whose checksum passed; `verified` says whether its BLOB
/// verified again.
#[derive(Debug)]
pub(super) struct Restored {
    pub(super) no: u64,
    pub(super) source: String,
    pub(super) fetched_at: OffsetDateTime,
    pub(super) etag: Option<String>,
    pub(super) blob_sha256: [u8; 32],
    pub(super) verified: Result<VerifiedBlob, SnapshotVerifyError>,
    /// What the mirror publishes (when on and the BLOB verified again).
    pub(super) published: Option<Published>,
}

/// Reads the snapshot once and verifies its BLOB in place (with any newer cached CRLs for its
/// chain) while a second thread checks the file's SHA-256 trailer (and hashes the BLOB when an
/// older file did not record its digest). `Err` when the file is unreadable or corrupt.
fn restore_snapshot(
    state: &StateDir,
    max_blob_bytes: usize,
    mut opts: BlobVerifyOptions,
    now: OffsetDateTime,
    publish: bool,
) -> Result<Option<Restored>, SnapshotError> {
    let started = Instant::now();
    let Some(file) = state.read_snapshot(max_blob_bytes)? else { return Ok(None) };
    let read = started.elapsed();
    // The BLOB read once, in place (phase 1); newer CRLs from the cache for its chain help when
    // the snapshot's own have expired.
    let inspected = file.inspect(&opts.inspect_limits());
    if let Ok(inspected) = &inspected {
        for url in inspected.crl_distribution_points() {
            if let Some(crl) =
                state.load_cached_crl(url).and_then(|b| Crl::from_pem_or_der(&b).ok())
            {
                opts.crls.push(Arc::new(crl));
            }
        }
    }
    let recorded = file.blob_sha256();
    let check = || -> Result<([u8; 32], Duration), SnapshotError> {
        let t = Instant::now();
        file.check_checksum()?;
        let digest = recorded.unwrap_or_else(|| blob_digest(file.blob()));
        Ok((digest, t.elapsed()))
    };
    let (checked, verified, verify_time) = std::thread::scope(|s| {
        let summer =
            std::thread::Builder::new().name("mdsd-snapshot-sum".into()).spawn_scoped(s, check);
        let t = Instant::now();
        let verified = match &inspected {
            Ok(inspected) => file.verify_inspected(inspected, &opts, now),
            // Refused by phase 1: the full check reports it (after the stored evidence).
            Err(_) => file.verify(&opts, now),
        };
        let verify_time = t.elapsed();
        // Without a second thread (or if it failed), the checksum runs here.
        let checked = match summer {
            Ok(handle) => handle.join().unwrap_or_else(|_| check()),
            Err(_) => check(),
        };
        (checked, verified, verify_time)
    });
    let (blob_sha256, checksum_time) = checked?;
    let published = match &verified {
        Ok(v) if publish => Some(Published::new(
            file.blob().to_vec(),
            blob_sha256,
            v.no,
            v.next_update,
            crls_for_chain(&v.chain, file.crls().chain(opts.crls.iter().map(|c| c.der()))),
        )),
        _ => None,
    };
    tracing::info!(
        bytes = file.blob().len(),
        read_ms = read.as_secs_f64() * 1e3,
        verify_ms = verify_time.as_secs_f64() * 1e3,
        checksum_ms = checksum_time.as_secs_f64() * 1e3,
        digest_recorded = recorded.is_some(),
        total_ms = started.elapsed().as_secs_f64() * 1e3,
        "snapshot read and verified"
    );
    Ok(Some(Restored {
        no: file.no(),
        source: file.source().to_string(),
        fetched_at: file.fetched_at(),
        etag: file.etag().map(str::to_string),
        blob_sha256,
        verified,
        published,
    }))
}
