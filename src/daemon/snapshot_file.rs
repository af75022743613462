//! The on-disk state: the last accepted BLOB with its `no` and the CRLs it was verified with
//! (`snapshot.v1`), the CRL cache (`crl-cache/`), and the WatchStatusChanges history
//! (`watch-history.v1`, [`watch_history`]). The only module that knows these formats.
//!
//! Crash safety: every file is written to a temporary name in the same directory, fsynced,
//! renamed over the old one, and the directory is fsynced; a crash leaves either the old or the
//! new file. Leftover temporary files are ignored on load and removed at start-up.
//!
//! Nothing read from here is trusted blindly: the snapshot carries a SHA-256 trailer (a torn or
//! corrupt file is reported, never served) and the BLOB is verified again with the core
//! ([`Snapshot::verify`], [`SnapshotFile::verify`]) before it is served. Only regular files are
//! read, without following a symbolic link ([`super::files`]): a FIFO or a device planted here
//! is refused at once ([`SnapshotError::NotRegular`]) instead of blocking the reader.
//!
//! Cold start reads the file once into a buffer of its exact size ([`StateDir::read_snapshot`]),
//! verifies the BLOB in place (no copy) while the trailer is checked on a second thread, and
//! serves it only when both passed. Writing streams the sections (no encoded copy of the BLOB).
//!
//! `snapshot.v1` layout (integers big-endian):
//!
//! ```text
//! magic   "MDSD-SNAPSHOT\n"            14 bytes
//! version u32 = 1
//! meta    u32 length + JSON {"no", "source", "fetched_at" (RFC 3339), "etag", "x5u_chain"?,
//!                              "blob_sha256"? (hex, SHA-256 of the BLOB section)}
//! blob    u64 length + the BLOB bytes exactly as received
//! crls    u32 count, then each: u32 length + DER
//! sha256  32 bytes over everything above
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

use super::files::{read_regular, FileKind, ReadError, Symlinks};
use super::state_lock::{LockError, StateLock};
use crate::mds::{
    inspect, BlobError, BlobVerifyOptions, InspectLimits, InspectedBlob, VerifiedBlob,
};
use crate::x509::{Cert, Crl};

pub mod watch_history;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// File name of the snapshot inside the state directory.
pub const SNAPSHOT_FILE: &str = "snapshot.v1";
/// Directory of cached CRLs inside the state directory.
pub const CRL_CACHE_DIR: &str = "crl-cache";
/// The current format version.
pub const SNAPSHOT_VERSION: u32 = 1;
const MAGIC: &[u8; 14] = b"MDSD-SNAPSHOT\n";
/// Marker in temporary file names (`.<name>.tmp-<pid>-<random>`).
const TMP_MARKER: &str = ".tmp-";
/// Bounds on what a snapshot may contain.
const MAX_META_BYTES: u32 = 64 * 1024;
const MAX_CRLS: u32 = 64;
const MAX_CRL_BYTES: u32 = 16 * 1024 * 1024;

/// The last accepted BLOB and what it was verified with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The BLOB's `no` (the rollback floor).
    pub no: u64,
    /// Where it came from (URL or path).
    pub source: String,
    /// When it was downloaded or read.
    pub fetched_at: OffsetDateTime,
    /// The HTTP ETag it was served with, for the next conditional GET.
    pub etag: Option<String>,
    /// The BLOB bytes exactly as received.
    pub blob: Vec<u8>,
    /// The CRLs (DER) the signing chain was checked against.
    pub crls: Vec<Vec<u8>>,
    /// The chain (DER) downloaded from the header's `x5u`, when the BLOB used one.
    pub x5u_chain: Vec<Vec<u8>>,
    /// SHA-256 of `blob`, when the writer knows it (stored so that a restart need not hash the
    /// BLOB again to recognise unchanged bytes; covered by the trailer like the rest of meta).
    pub blob_sha256: Option<[u8; 32]>,
}

/// Why a snapshot could not be read or written.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// A FIFO, device, socket, directory or link where the file should be: refused without
    /// reading (a FIFO would block the reader for ever), treated like a damaged file.
    #[error("{path} is {kind}, not a regular file; refused (mdsd replaces it at the next write)")]
    NotRegular { path: PathBuf, kind: FileKind },
    /// Truncated, bit-flipped or otherwise damaged: reported, never served.
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Written by another (newer) mdsd.
    #[error("{path} has format version {version}; this mdsd reads version {SNAPSHOT_VERSION}")]
    UnsupportedVersion { path: PathBuf, version: u32 },
    /// A bound on the contents was exceeded.
    #[error("{path}: {what} is {size}, more than {max}")]
    TooLarge { path: PathBuf, what: &'static str, size: u64, max: u64 },
    /// The state directory is held by another process (or could not be locked).
    #[error(transparent)]
    Lock(#[from] LockError),
}

impl Snapshot {
    /// Verifies the stored BLOB again with the core at `now` (MDS3 §3.2 steps 1-6), with the
    /// stored CRLs added to `opts.crls`. The rollback floor is not applied to the snapshot itself
    /// (it *is* the floor).
    pub fn verify(
        &self,
        opts: &BlobVerifyOptions,
        now: OffsetDateTime,
    ) -> Result<VerifiedBlob, SnapshotVerifyError> {
        let inspected = inspect(self.blob.as_slice(), &opts.inspect_limits());
        verify_stored(
            Stored {
                no: self.no,
                source: &self.source,
                blob: inspected.as_ref().map_err(Clone::clone),
                crls: self.crls.iter().map(Vec::as_slice).collect(),
                x5u_chain: &self.x5u_chain,
            },
            opts,
            now,
        )
    }

    /// Encodes the snapshot in the `snapshot.v1` layout.
    pub fn encode(&self) -> Vec<u8> {
        let (head, tail) = self.sections();
        let mut out = Vec::with_capacity(head.len() + self.blob.len() + tail.len() + 32);
        for part in [head.as_slice(), &self.blob, &tail] {
            out.extend_from_slice(part);
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, &out);
        out.extend_from_slice(digest.as_ref());
        out
    }

    /// The sections before and after the BLOB bytes (the trailer not included): the BLOB itself
    /// is written from `self.blob`, never copied into an encoding buffer.
    fn sections(&self) -> (Vec<u8>, Vec<u8>) {
        let meta = Meta {
            no: self.no,
            source: self.source.clone(),
            fetched_at: self.fetched_at,
            etag: self.etag.clone(),
            x5u_chain: self.x5u_chain.iter().map(|der| B64.encode(der)).collect(),
            blob_sha256: self.blob_sha256.map(hex::encode),
        };
        // Serialising this plain struct cannot fail; an empty meta would fail decoding loudly.
        let meta = serde_json::to_vec(&meta).unwrap_or_default();
        let mut head = Vec::with_capacity(MAGIC.len() + 16 + meta.len());
        head.extend_from_slice(MAGIC);
        head.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
        head.extend_from_slice(&len_u32(meta.len()).to_be_bytes());
        head.extend_from_slice(&meta);
        head.extend_from_slice(&(self.blob.len() as u64).to_be_bytes());
        let mut tail = Vec::new();
        tail.extend_from_slice(&len_u32(self.crls.len()).to_be_bytes());
        for crl in &self.crls {
            tail.extend_from_slice(&len_u32(crl.len()).to_be_bytes());
            tail.extend_from_slice(crl);
        }
        (head, tail)
    }

    /// Decodes a `snapshot.v1` file; `path` only names it in errors. The checksum is checked
    /// before anything else is trusted; `max_blob_bytes` bounds the BLOB.
    pub fn decode(
        bytes: &[u8],
        path: &Path,
        max_blob_bytes: usize,
    ) -> Result<Snapshot, SnapshotError> {
        check_head(bytes, path)?;
        check_checksum(bytes, path)?;
        let layout = Layout::parse(bytes, path, max_blob_bytes)?;
        let blob = bytes.get(layout.blob.clone()).unwrap_or_default().to_vec();
        layout.into_snapshot(bytes, blob)
    }
}

/// A `snapshot.v1` file read whole, its layout parsed and bounded, its checksum not checked yet:
/// [`SnapshotFile::check_checksum`] runs beside [`SnapshotFile::verify`] at start-up, and the
/// caller serves the BLOB only when both passed. The BLOB is verified where it lies in the
/// file buffer (no copy).
#[derive(Debug)]
pub struct SnapshotFile {
    bytes: Vec<u8>,
    path: PathBuf,
    layout: Layout,
}

impl SnapshotFile {
    /// Parses the layout of `bytes` (magic, version, section bounds, meta). A file whose layout
    /// does not parse is reported as corrupt when its checksum is wrong too (a torn or damaged
    /// file is named as such, as by [`Snapshot::decode`]).
    pub fn parse(
        bytes: Vec<u8>,
        path: &Path,
        max_blob_bytes: usize,
    ) -> Result<SnapshotFile, SnapshotError> {
        check_head(&bytes, path)?;
        match Layout::parse(&bytes, path, max_blob_bytes) {
            Ok(layout) => Ok(SnapshotFile { bytes, path: path.to_path_buf(), layout }),
            Err(e) => {
                check_checksum(&bytes, path)?;
                Err(e)
            }
        }
    }

    /// The SHA-256 trailer over everything before it.
    pub fn check_checksum(&self) -> Result<(), SnapshotError> {
        check_checksum(&self.bytes, &self.path)
    }

    /// The stored `no` (the rollback floor once the checksum passed).
    pub fn no(&self) -> u64 {
        self.layout.meta.no
    }

    pub fn source(&self) -> &str {
        &self.layout.meta.source
    }

    pub fn fetched_at(&self) -> OffsetDateTime {
        self.layout.meta.fetched_at
    }

    pub fn etag(&self) -> Option<&str> {
        self.layout.meta.etag.as_deref()
    }

    /// The BLOB bytes, where they lie in the file buffer.
    pub fn blob(&self) -> &[u8] {
        self.bytes.get(self.layout.blob.clone()).unwrap_or_default()
    }

    /// The stored CRLs (DER), where they lie in the file buffer.
    pub fn crls(&self) -> impl Iterator<Item = &[u8]> {
        self.layout.crls.iter().map(|r| self.bytes.get(r.clone()).unwrap_or_default())
    }

    /// The SHA-256 of the BLOB recorded by the writer, if any.
    pub fn blob_sha256(&self) -> Option<[u8; 32]> {
        self.layout.blob_sha256
    }

    /// As [`Snapshot::verify`], on the BLOB in place.
    pub fn verify(
        &self,
        opts: &BlobVerifyOptions,
        now: OffsetDateTime,
    ) -> Result<VerifiedBlob, SnapshotVerifyError> {
        let inspected = self.inspect(&opts.inspect_limits());
        self.verify_in_place(inspected.as_ref().map_err(Clone::clone), opts, now)
    }

    /// Phase 1 of the verification on the BLOB in place ([`crate::mds::inspect`]): what its
    /// chain needs (e.g. the CRL distribution points) before [`SnapshotFile::verify_inspected`].
    pub fn inspect(&self, limits: &InspectLimits) -> Result<InspectedBlob<&[u8]>, BlobError> {
        inspect(self.blob(), limits)
    }

    /// [`SnapshotFile::verify`] after [`SnapshotFile::inspect`], so the BLOB is read once.
    /// `inspected` must be this file's BLOB; any other is ignored and this file's is inspected.
    pub fn verify_inspected(
        &self,
        inspected: &InspectedBlob<&[u8]>,
        opts: &BlobVerifyOptions,
        now: OffsetDateTime,
    ) -> Result<VerifiedBlob, SnapshotVerifyError> {
        if !std::ptr::eq(inspected.blob(), self.blob()) {
            return self.verify(opts, now);
        }
        self.verify_in_place(Ok(inspected), opts, now)
    }

    fn verify_in_place(
        &self,
        inspected: Result<&InspectedBlob<&[u8]>, BlobError>,
        opts: &BlobVerifyOptions,
        now: OffsetDateTime,
    ) -> Result<VerifiedBlob, SnapshotVerifyError> {
        let crls = self
            .layout
            .crls
            .iter()
            .map(|r| self.bytes.get(r.clone()).unwrap_or_default())
            .collect();
        verify_stored(
            Stored {
                no: self.layout.meta.no,
                source: &self.layout.meta.source,
                blob: inspected,
                crls,
                x5u_chain: &self.layout.x5u_chain,
            },
            opts,
            now,
        )
    }

    /// Checks the checksum, then copies the sections out (tests, tools).
    pub fn into_snapshot(self) -> Result<Snapshot, SnapshotError> {
        self.check_checksum()?;
        let blob = self.blob().to_vec();
        self.layout.into_snapshot(&self.bytes, blob)
    }
}

/// Where the sections of a `snapshot.v1` file are (the checksum not checked).
#[derive(Debug)]
struct Layout {
    meta: Meta,
    blob: Range<usize>,
    crls: Vec<Range<usize>>,
    x5u_chain: Vec<Vec<u8>>,
    blob_sha256: Option<[u8; 32]>,
}

impl Layout {
    fn parse(bytes: &[u8], path: &Path, max_blob_bytes: usize) -> Result<Layout, SnapshotError> {
        let corrupt = |reason: &str| SnapshotError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        };
        let too_large = |what: &'static str, size: u64, max: u64| SnapshotError::TooLarge {
            path: path.to_path_buf(),
            what,
            size,
            max,
        };
        let body_len =
            bytes.len().checked_sub(32).ok_or_else(|| corrupt("shorter than its checksum"))?;
        let body = bytes.get(..body_len).unwrap_or_default();
        let mut r = Reader { rest: body, at: 0 };
        r.take(MAGIC.len() + 4).ok_or_else(|| corrupt("truncated version"))?;
        let meta_len = r.u32().ok_or_else(|| corrupt("truncated meta length"))?;
        if meta_len > MAX_META_BYTES {
            return Err(too_large("meta", meta_len.into(), MAX_META_BYTES.into()));
        }
        let meta = r.take(meta_len as usize).ok_or_else(|| corrupt("truncated meta"))?;
        let meta: Meta =
            serde_json::from_slice(meta).map_err(|e| corrupt(&format!("meta: {e}")))?;
        let blob_len = r.u64().ok_or_else(|| corrupt("truncated BLOB length"))?;
        if blob_len > max_blob_bytes as u64 {
            return Err(too_large("BLOB", blob_len, max_blob_bytes as u64));
        }
        let blob = r.range(blob_len as usize).ok_or_else(|| corrupt("truncated BLOB"))?;
        let count = r.u32().ok_or_else(|| corrupt("truncated CRL count"))?;
        if count > MAX_CRLS {
            return Err(too_large("CRL count", count.into(), MAX_CRLS.into()));
        }
        let mut crls = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let len = r.u32().ok_or_else(|| corrupt("truncated CRL length"))?;
            if len > MAX_CRL_BYTES {
                return Err(too_large("CRL", len.into(), MAX_CRL_BYTES.into()));
            }
            crls.push(r.range(len as usize).ok_or_else(|| corrupt("truncated CRL"))?);
        }
        if !r.rest.is_empty() {
            return Err(corrupt("trailing bytes"));
        }
        let x5u_chain = meta
            .x5u_chain
            .iter()
            .map(|b64| B64.decode(b64))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt(&format!("meta x5u_chain: {e}")))?;
        let blob_sha256 = match &meta.blob_sha256 {
            None => None,
            Some(h) => Some(
                hex::decode(h)
                    .ok()
                    .and_then(|d| <[u8; 32]>::try_from(d).ok())
                    .ok_or_else(|| corrupt("meta blob_sha256: not 32 bytes of hex"))?,
            ),
        };
        Ok(Layout { meta, blob, crls, x5u_chain, blob_sha256 })
    }

    fn into_snapshot(self, bytes: &[u8], blob: Vec<u8>) -> Result<Snapshot, SnapshotError> {
        Ok(Snapshot {
            no: self.meta.no,
            source: self.meta.source,
            fetched_at: self.meta.fetched_at,
            etag: self.meta.etag,
            blob,
            crls: self
                .crls
                .into_iter()
                .map(|r| bytes.get(r).unwrap_or_default().to_vec())
                .collect(),
            x5u_chain: self.x5u_chain,
            blob_sha256: self.blob_sha256,
        })
    }
}

/// Length, magic and version: checked before the checksum so that a newer format is named as
/// such.
fn check_head(bytes: &[u8], path: &Path) -> Result<(), SnapshotError> {
    let corrupt =
        |reason: &str| SnapshotError::Corrupt { path: path.to_path_buf(), reason: reason.into() };
    let body_len =
        bytes.len().checked_sub(32).ok_or_else(|| corrupt("shorter than its checksum"))?;
    let mut r = Reader { rest: bytes.get(..body_len).unwrap_or_default(), at: 0 };
    if r.take(MAGIC.len()).ok_or_else(|| corrupt("truncated magic"))? != MAGIC {
        return Err(corrupt("not an mdsd snapshot (bad magic)"));
    }
    let version = r.u32().ok_or_else(|| corrupt("truncated version"))?;
    if version != SNAPSHOT_VERSION {
        return Err(SnapshotError::UnsupportedVersion { path: path.to_path_buf(), version });
    }
    Ok(())
}

/// The SHA-256 trailer over everything before it (`bytes` is at least 32 long: `check_head`).
fn check_checksum(bytes: &[u8], path: &Path) -> Result<(), SnapshotError> {
    let body_len = bytes.len().saturating_sub(32);
    let (body, digest) = bytes.split_at(body_len);
    let actual = ring::digest::digest(&ring::digest::SHA256, body);
    if actual.as_ref() != digest {
        return Err(SnapshotError::Corrupt {
            path: path.to_path_buf(),
            reason: "checksum mismatch (torn write or damaged file)".into(),
        });
    }
    Ok(())
}

/// What a stored snapshot is verified from.
struct Stored<'a> {
    no: u64,
    source: &'a str,
    /// The BLOB after phase 1, or why phase 1 refused it (reported after the stored
    /// evidence is read, as before).
    blob: Result<&'a InspectedBlob<&'a [u8]>, BlobError>,
    crls: Vec<&'a [u8]>,
    x5u_chain: &'a [Vec<u8>],
}

/// MDS3 §3.2 steps 1-6 on a stored BLOB, with its stored CRLs and x5u chain; the rollback floor
/// is not applied (the snapshot *is* the floor), its `no` must match the stored one.
fn verify_stored(
    stored: Stored<'_>,
    opts: &BlobVerifyOptions,
    now: OffsetDateTime,
) -> Result<VerifiedBlob, SnapshotVerifyError> {
    let mut opts = opts.clone();
    opts.last_accepted_no = None;
    if !stored.x5u_chain.is_empty() {
        let chain = stored
            .x5u_chain
            .iter()
            .map(|der| Cert::from_der(der).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SnapshotVerifyError::X5u(e.to_string()))?;
        opts.x5u_chain = Some(chain);
        opts.blob_url = Some(stored.source.to_string());
    }
    for der in stored.crls {
        let crl = Crl::from_pem_or_der(der).map_err(|e| SnapshotVerifyError::Crl(e.to_string()))?;
        opts.crls.push(Arc::new(crl));
    }
    let blob = stored.blob.map_err(SnapshotVerifyError::Blob)?;
    let verified = blob.verify(&opts, now).map_err(SnapshotVerifyError::Blob)?;
    if verified.no != stored.no {
        return Err(SnapshotVerifyError::NoMismatch { stored: stored.no, blob: verified.no });
    }
    Ok(verified)
}

/// Why a stored snapshot did not verify again.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotVerifyError {
    #[error("stored CRL: {0}")]
    Crl(String),
    #[error("stored BLOB ({step}): {0}", step = .0.step())]
    Blob(BlobError),
    #[error("stored x5u chain: {0}")]
    X5u(String),
    #[error("stored no {stored} differs from the BLOB's no {blob}")]
    NoMismatch { stored: u64, blob: u64 },
}

/// The state directory: the snapshot and the CRL cache.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
    /// Held by the daemon's handle ([`StateDir::open_exclusive`]) for as long as any clone lives.
    lock: Option<Arc<StateLock>>,
}

impl SnapshotError {
    /// A file of the state directory that could not be read (not "not found": callers tell
    /// that apart first).
    pub(crate) fn reading(path: PathBuf, e: ReadError) -> SnapshotError {
        match e {
            ReadError::TooLarge { max } => {
                SnapshotError::TooLarge { path, what: "file", size: max.saturating_add(1), max }
            }
            ReadError::NotRegular(kind) => SnapshotError::NotRegular { path, kind },
            ReadError::Io(source) => SnapshotError::Io { path, source },
        }
    }
}

impl StateDir {
    /// The daemon's way in: creates the directory if needed, takes its exclusive lock (a second
    /// process on the same directory gets [`SnapshotError::Lock`], naming the directory and the
    /// holder), then removes temporary files left by an earlier crash — only once the lock is
    /// held, so never another live writer's. Returns how many were removed.
    pub fn open_exclusive(dir: &Path) -> Result<(StateDir, usize), SnapshotError> {
        fs::create_dir_all(dir)
            .map_err(|source| SnapshotError::Io { path: dir.to_path_buf(), source })?;
        let lock = Arc::new(StateLock::acquire(dir)?);
        let (mut state, removed) = StateDir::open(dir)?;
        state.lock = Some(lock);
        Ok((state, removed))
    }

    /// Opens (creating if needed) the state directory, without its lock, and removes temporary
    /// files left by an earlier crash. Returns how many were removed. For tools and tests that
    /// look at a directory; a daemon uses [`StateDir::open_exclusive`].
    pub fn open(dir: &Path) -> Result<(StateDir, usize), SnapshotError> {
        let io_err = |path: &Path, source| SnapshotError::Io { path: path.to_path_buf(), source };
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let cache = dir.join(CRL_CACHE_DIR);
        fs::create_dir_all(&cache).map_err(|e| io_err(&cache, e))?;
        let mut removed = 0;
        for d in [dir, cache.as_path()] {
            for entry in fs::read_dir(d).map_err(|e| io_err(d, e))?.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().contains(TMP_MARKER)
                    && fs::remove_file(entry.path()).is_ok()
                {
                    removed += 1;
                }
            }
        }
        Ok((StateDir { dir: dir.to_path_buf(), lock: None }, removed))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// True when this handle holds the directory's lock.
    pub fn is_locked(&self) -> bool {
        self.lock.is_some()
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILE)
    }

    /// Reads the snapshot: `Ok(None)` when there is none yet.
    pub fn load_snapshot(&self, max_blob_bytes: usize) -> Result<Option<Snapshot>, SnapshotError> {
        self.read_snapshot(max_blob_bytes)?.map(SnapshotFile::into_snapshot).transpose()
    }

    /// Reads the snapshot file once, into a buffer of its size, and parses its layout; the
    /// checksum is left to the caller ([`SnapshotFile::check_checksum`]). `Ok(None)` when there
    /// is no snapshot yet.
    pub fn read_snapshot(
        &self,
        max_blob_bytes: usize,
    ) -> Result<Option<SnapshotFile>, SnapshotError> {
        let path = self.snapshot_path();
        // The file may hold the BLOB plus CRLs: bound the read by what decoding would accept.
        let max = (max_blob_bytes as u64)
            .saturating_add(u64::from(MAX_META_BYTES))
            .saturating_add(u64::from(MAX_CRLS) * u64::from(MAX_CRL_BYTES) / 16)
            .saturating_add(1024);
        match read_regular(&path, max, Symlinks::Refuse) {
            Ok(bytes) => SnapshotFile::parse(bytes, &path, max_blob_bytes).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(SnapshotError::reading(path, e)),
        }
    }

    /// Writes the snapshot atomically (temp file, fsync, rename, fsync directory), streaming
    /// the BLOB from `snapshot.blob` (no encoded copy).
    pub fn store_snapshot(&self, snapshot: &Snapshot) -> Result<(), SnapshotError> {
        let (head, tail) = snapshot.sections();
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [head.as_slice(), &snapshot.blob, &tail] {
            digest.update(part);
        }
        let digest = digest.finish();
        write_atomic_parts(
            &self.dir,
            SNAPSHOT_FILE,
            &[&head, &snapshot.blob, &tail, digest.as_ref()],
        )
        .map_err(|source| SnapshotError::Io { path: self.snapshot_path(), source })
    }

    /// The cache file for the CRL at distribution point `url`.
    pub fn crl_cache_path(&self, url: &str) -> PathBuf {
        self.dir.join(CRL_CACHE_DIR).join(crl_cache_name(url))
    }

    /// A cached CRL (DER or PEM as fetched), if any. The caller parses and checks it. A cache
    /// file that is not a regular file (a FIFO, a device, a link, …) is refused at once and
    /// logged at ERROR; the next download replaces it.
    pub fn load_cached_crl(&self, url: &str) -> Option<Vec<u8>> {
        let path = self.crl_cache_path(url);
        match read_regular(&path, MAX_CRL_BYTES.into(), Symlinks::Refuse) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.is_not_found() => None,
            Err(ReadError::NotRegular(kind)) => {
                tracing::error!(
                    path = %path.display(),
                    file_type = kind.as_str(),
                    %url,
                    "CRL cache file is {kind}, not a regular file; refused (the next download \
                     replaces it)"
                );
                None
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), %url, error = %e,
                    "CRL cache file unreadable; ignored");
                None
            }
        }
    }

    /// Stores a fetched CRL for `url` atomically.
    pub fn store_cached_crl(&self, url: &str, der: &[u8]) -> Result<(), SnapshotError> {
        let dir = self.dir.join(CRL_CACHE_DIR);
        write_atomic(&dir, &crl_cache_name(url), der)
            .map_err(|source| SnapshotError::Io { path: self.crl_cache_path(url), source })
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves the old file or the new one: write to a
/// temporary file in `dir`, fsync it, rename it over `name`, fsync `dir`.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    write_atomic_parts(dir, name, &[bytes])
}

/// As [`write_atomic`], the file being the concatenation of `parts`.
pub fn write_atomic_parts(dir: &Path, name: &str, parts: &[&[u8]]) -> io::Result<()> {
    let tmp = dir.join(temp_name(name));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        for part in parts {
            file.write_all(part)?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, dir.join(name))?;
        // The rename is durable only once the directory entry is.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A temporary name for `name`: unique per process and per call even when every process is
/// pid 1 (one per container sharing a volume), thanks to 64 random bits beside the pid.
fn temp_name(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 8];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random).is_err() {
        // No system randomness (never seen on Linux): the clock and a counter still differ.
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        random = (u64::from(nanos) << 24 ^ n).to_be_bytes();
    }
    format!(".{name}{TMP_MARKER}{}-{}", std::process::id(), hex::encode(random))
}

/// The cache file name of a CRL URL: SHA-256 of the URL (no path tricks from the URL itself).
fn crl_cache_name(url: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, url.as_bytes());
    format!("{}.crl", hex::encode(digest.as_ref()))
}

#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    no: u64,
    source: String,
    #[serde(with = "time::serde::rfc3339")]
    fetched_at: OffsetDateTime,
    #[serde(default)]
    etag: Option<String>,
    /// x5u chain certificates, standard base64 DER.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    x5u_chain: Vec<String>,
    /// SHA-256 of the BLOB section, hex (absent in files of earlier builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    blob_sha256: Option<String>,
}

fn len_u32(len: usize) -> u32 {
    // Sections are bounded far below 4 GiB (BLOB length is u64); saturate rather than wrap so
    // an impossible size fails decoding instead of aliasing.
    u32::try_from(len).unwrap_or(u32::MAX)
}

struct Reader<'a> {
    rest: &'a [u8],
    /// Offset of `rest` in the buffer read.
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        self.at = self.at.saturating_add(n);
        Some(head)
    }
    /// As `take`, returning where the bytes are.
    fn range(&mut self, n: usize) -> Option<Range<usize>> {
        let start = self.at;
        self.take(n).map(|_| start..start.saturating_add(n))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> Snapshot {
        Snapshot {
            no: 121,
            source: "https://mds.fidoalliance.org/".into(),
            fetched_at: datetime!(2024-12-02 10:00 UTC),
            etag: Some("\"121\"".into()),
            blob: b"header.payload.signature".to_vec(),
            crls: vec![vec![0x30, 0x82, 0x01], vec![0x30, 0x03]],
            x5u_chain: vec![vec![0x30, 0x01, 0x02]],
            blob_sha256: Some([7; 32]),
        }
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mdsd-snapshot-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn round_trip_through_the_state_dir() {
        let dir = tempdir("roundtrip");
        let (state, _) = StateDir::open(&dir).unwrap();
        assert!(state.load_snapshot(1024).unwrap().is_none());
        state.store_snapshot(&sample()).unwrap();
        assert_eq!(state.load_snapshot(1024).unwrap(), Some(sample()));
        let mut newer = sample();
        newer.no = 122;
        state.store_snapshot(&newer).unwrap();
        assert_eq!(state.load_snapshot(1024).unwrap().unwrap().no, 122);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A crash between writing the temp file and the rename leaves the temp file: it is
    /// ignored on load (the old snapshot is served) and removed at the next start.
    #[test]
    fn leftover_temp_file_is_ignored_and_cleaned() {
        let dir = tempdir("leftover");
        let (state, _) = StateDir::open(&dir).unwrap();
        state.store_snapshot(&sample()).unwrap();
        let mut half = sample();
        half.no = 999;
        let encoded = half.encode();
        let tmp = dir.join(format!(".{SNAPSHOT_FILE}{TMP_MARKER}1-0"));
        fs::write(&tmp, &encoded[..encoded.len() / 2]).unwrap();
        assert_eq!(state.load_snapshot(1024).unwrap().unwrap().no, 121);
        let (state, removed) = StateDir::open(&dir).unwrap();
        assert_eq!(removed, 1);
        assert!(!tmp.exists());
        assert_eq!(state.load_snapshot(1024).unwrap().unwrap().no, 121);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Every truncation of a snapshot is rejected as corrupt, never decoded.
    /// Every container is pid 1: the temp name must not rest on the pid. Names differ per call,
    /// and writers racing on one file all succeed (`create_new` fails on a clash).
    #[test]
    fn temp_names_are_unique_even_with_one_pid() {
        let names: std::collections::BTreeSet<String> =
            (0..2000).map(|_| temp_name(SNAPSHOT_FILE)).collect();
        assert_eq!(names.len(), 2000);
        // After the pid: 64 random bits (two containers' pid-1 processes share the rest).
        let pid = std::process::id();
        for n in &names {
            let suffix = n.strip_prefix(&format!(".{SNAPSHOT_FILE}{TMP_MARKER}{pid}-")).unwrap();
            assert!(suffix.len() == 16 && hex::decode(suffix).is_ok(), "{n}");
        }
        let dir = tempdir("racing-writers");
        fs::create_dir_all(&dir).unwrap();
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let dir = &dir;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_atomic(dir, "same", &[t; 64]).unwrap();
                    }
                });
            }
        });
        let left: Vec<_> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("same")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The daemon's handle holds the lock: a second one is refused (naming the directory) and
    /// does not remove the holder's temporary files; once the holder is gone it opens and
    /// cleans up.
    #[test]
    fn open_exclusive_refuses_a_second_holder_and_spares_its_temp_files() {
        let dir = tempdir("exclusive");
        let (first, _) = StateDir::open_exclusive(&dir).unwrap();
        assert!(first.is_locked());
        let in_flight = dir.join(temp_name(SNAPSHOT_FILE));
        fs::write(&in_flight, b"being written").unwrap();
        let clone = first.clone();
        drop(first);
        let err = StateDir::open_exclusive(&dir).unwrap_err();
        assert!(matches!(err, SnapshotError::Lock(LockError::Held { .. })), "{err:?}");
        assert!(err.to_string().contains(&dir.display().to_string()), "{err}");
        assert!(in_flight.exists(), "the holder's temp file was removed");
        drop(clone);
        let (second, removed) = StateDir::open_exclusive(&dir).unwrap();
        assert_eq!(removed, 1);
        assert!(!in_flight.exists());
        drop(second);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn torn_file_is_rejected_at_every_length() {
        let encoded = sample().encode();
        for len in 0..encoded.len() {
            let err = Snapshot::decode(&encoded[..len], Path::new("s"), 1024).unwrap_err();
            assert!(matches!(err, SnapshotError::Corrupt { .. }), "len {len}: {err}");
        }
    }

    /// A flipped bit anywhere (after the version) is caught by the checksum.
    #[test]
    fn flipped_bit_is_rejected() {
        let encoded = sample().encode();
        for i in MAGIC.len() + 4..encoded.len() {
            let mut damaged = encoded.clone();
            damaged[i] ^= 0x01;
            let err = Snapshot::decode(&damaged, Path::new("s"), 1024).unwrap_err();
            assert!(matches!(err, SnapshotError::Corrupt { .. }), "byte {i}: {err}");
        }
    }

    #[test]
    fn corrupt_file_in_state_dir_is_reported() {
        let dir = tempdir("corrupt");
        let (state, _) = StateDir::open(&dir).unwrap();
        let encoded = sample().encode();
        fs::write(state.snapshot_path(), &encoded[..encoded.len() - 10]).unwrap();
        let err = state.load_snapshot(1024).unwrap_err();
        assert!(matches!(err, SnapshotError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("snapshot.v1"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_version_and_bad_magic_are_named() {
        let mut encoded = sample().encode();
        encoded[MAGIC.len() + 3] = 2;
        let err = Snapshot::decode(&encoded, Path::new("s"), 1024).unwrap_err();
        assert!(matches!(err, SnapshotError::UnsupportedVersion { version: 2, .. }), "{err}");
        let mut encoded = sample().encode();
        encoded[0] = b'X';
        let err = Snapshot::decode(&encoded, Path::new("s"), 1024).unwrap_err();
        assert!(err.to_string().contains("bad magic"), "{err}");
    }

    #[test]
    fn blob_larger_than_the_cap_is_refused() {
        let encoded = sample().encode();
        let err = Snapshot::decode(&encoded, Path::new("s"), 10).unwrap_err();
        assert!(
            matches!(err, SnapshotError::TooLarge { what: "BLOB", size: 24, max: 10, .. }),
            "{err}"
        );
    }

    #[test]
    fn crl_cache_round_trip_and_names_are_hashes() {
        let dir = tempdir("crlcache");
        let (state, _) = StateDir::open(&dir).unwrap();
        let url = "http://crl.globalsign.com/../../etc/passwd";
        assert!(state.load_cached_crl(url).is_none());
        state.store_cached_crl(url, b"crl bytes").unwrap();
        assert_eq!(state.load_cached_crl(url).unwrap(), b"crl bytes");
        let path = state.crl_cache_path(url);
        assert_eq!(path.parent().unwrap(), dir.join(CRL_CACHE_DIR));
        assert_eq!(path.file_name().unwrap().len(), 64 + 4);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A FIFO, a directory or a symbolic link where the snapshot should be is refused at once
    /// (a FIFO used to block the restore for ever), named with its type; the next write
    /// replaces it with a regular file.
    #[test]
    fn non_regular_snapshot_is_refused_at_once() {
        use crate::daemon::files::test_support::{mkfifo, within_10s};
        let dir = tempdir("nonregular");
        let (state, _) = StateDir::open(&dir).unwrap();
        let path = state.snapshot_path();

        mkfifo(&path);
        let s = state.clone();
        let err = within_10s(move || s.read_snapshot(1024)).unwrap_err();
        let refused = matches!(&err, SnapshotError::NotRegular { kind: FileKind::Fifo, path: p }
            if *p == path);
        assert!(refused, "{err}");
        assert!(err.to_string().contains("snapshot.v1 is a FIFO (named pipe)"), "{err}");
        state.store_snapshot(&sample()).unwrap();
        assert_eq!(state.load_snapshot(1024).unwrap(), Some(sample()));

        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        let err = state.read_snapshot(1024).unwrap_err();
        assert!(matches!(err, SnapshotError::NotRegular { kind: FileKind::Directory, .. }));
        fs::remove_dir(&path).unwrap();

        // mdsd never writes a link here: one is refused even when it points at a good file.
        let elsewhere = dir.join("elsewhere");
        fs::write(&elsewhere, sample().encode()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        let err = state.read_snapshot(1024).unwrap_err();
        assert!(matches!(err, SnapshotError::NotRegular { kind: FileKind::Symlink, .. }));
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A FIFO in the CRL cache is skipped at once (it used to block the refresh, on a tokio
    /// worker, for ever); the next store replaces it.
    #[test]
    fn non_regular_crl_cache_file_is_skipped_at_once() {
        use crate::daemon::files::test_support::{mkfifo, within_10s};
        let dir = tempdir("crlfifo");
        let (state, _) = StateDir::open(&dir).unwrap();
        let url = "http://crl.example/ca.crl";
        mkfifo(&state.crl_cache_path(url));
        let s = state.clone();
        assert_eq!(within_10s(move || s.load_cached_crl(url)), None);
        state.store_cached_crl(url, b"crl bytes").unwrap();
        assert_eq!(state.load_cached_crl(url).unwrap(), b"crl bytes");
        fs::remove_dir_all(&dir).unwrap();
    }

    /// The streaming writer produces exactly the encoded layout (the BLOB is written from the
    /// snapshot, not from an encoded copy), and the recorded BLOB digest survives the round trip.
    #[test]
    fn streamed_file_equals_the_encoding() {
        let dir = tempdir("streamed");
        let (state, _) = StateDir::open(&dir).unwrap();
        state.store_snapshot(&sample()).unwrap();
        assert_eq!(fs::read(state.snapshot_path()).unwrap(), sample().encode());
        let file = state.read_snapshot(1024).unwrap().unwrap();
        assert_eq!(file.blob(), b"header.payload.signature");
        assert_eq!(file.blob_sha256(), Some([7; 32]));
        assert_eq!(file.no(), 121);
        file.check_checksum().unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A file of an earlier build records no BLOB digest: it still decodes (digest `None`).
    #[test]
    fn snapshot_without_a_recorded_digest_decodes() {
        let mut older = sample();
        older.blob_sha256 = None;
        let encoded = older.encode();
        assert!(!String::from_utf8_lossy(&encoded).contains("blob_sha256"));
        let decoded = Snapshot::decode(&encoded, Path::new("s"), 1024).unwrap();
        assert_eq!(decoded, older);
    }

    /// A recorded digest that is not 32 bytes of hex makes the file corrupt (checksum valid).
    #[test]
    fn malformed_recorded_digest_is_corrupt() {
        let encoded = sample().encode();
        let body = &encoded[..encoded.len() - 32];
        let text = String::from_utf8_lossy(body).into_owned();
        let at = text.find(&"07".repeat(32)).unwrap();
        let mut body = body.to_vec();
        body[at] = b'z';
        let digest = ring::digest::digest(&ring::digest::SHA256, &body);
        body.extend_from_slice(digest.as_ref());
        let err = Snapshot::decode(&body, Path::new("s"), 1024).unwrap_err();
        assert!(err.to_string().contains("blob_sha256"), "{err}");
    }

    /// The deferred-checksum reader refuses every torn or bit-flipped file: either its layout
    /// does not parse (reported as corrupt), or its checksum fails. Never both pass.
    #[test]
    fn snapshot_file_never_accepts_a_damaged_file() {
        let encoded = sample().encode();
        for len in 0..encoded.len() {
            let parsed = SnapshotFile::parse(encoded[..len].to_vec(), Path::new("s"), 1024);
            let err = parsed.and_then(|f| f.check_checksum()).unwrap_err();
            assert!(matches!(err, SnapshotError::Corrupt { .. }), "len {len}: {err}");
        }
        for i in MAGIC.len() + 4..encoded.len() {
            let mut damaged = encoded.clone();
            damaged[i] ^= 0x01;
            let parsed = SnapshotFile::parse(damaged, Path::new("s"), 1024);
            let err = parsed.and_then(|f| f.check_checksum()).unwrap_err();
            assert!(matches!(err, SnapshotError::Corrupt { .. }), "byte {i}: {err}");
        }
        let file = SnapshotFile::parse(encoded, Path::new("s"), 1024).unwrap();
        file.check_checksum().unwrap();
        assert_eq!(file.into_snapshot().unwrap(), sample());
    }

    /// A real BLOB stored with its real CRLs verifies again after a round trip; the same
    /// snapshot with a byte of the BLOB changed (and a recomputed checksum) does not.
    #[test]
    fn stored_real_blob_is_verified_again() {
        let testdata = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/blobs/");
        let read = |name: &str| fs::read(format!("{testdata}{name}")).unwrap();
        let root = crate::x509::certs_from_pem_or_der(&read("webauthn4j__root-r3.crt")).unwrap();
        let anchors = vec![crate::x509::TrustAnchor {
            cert: Arc::new(root.into_iter().next().unwrap()),
            label: "R3".into(),
        }];
        let snapshot = Snapshot {
            no: 121,
            source: "test".into(),
            fetched_at: datetime!(2024-12-02 10:00 UTC),
            etag: None,
            blob: read("s1r-J_fido-mds3__2024-12-02__blob.jwt"),
            crls: vec![
                read("webauthn4j__root-r3.crl"),
                read("webauthn4j__gsextendvalsha2g3r3.crl"),
            ],
            x5u_chain: vec![],
            blob_sha256: None,
        };
        let decoded = Snapshot::decode(&snapshot.encode(), Path::new("s"), 64 << 20).unwrap();
        let opts = BlobVerifyOptions::new(anchors);
        // Inside the CRLs' validity (2024-08-31..2024-09-07) and the leaf's (2024-06-26..).
        let now = datetime!(2024-09-03 12:00 UTC);
        let result = decoded.verify(&opts, now);
        match result {
            Ok(verified) => assert_eq!(verified.no, 121),
            Err(e) => panic!("{e}"),
        }
        let file = SnapshotFile::parse(snapshot.encode(), Path::new("s"), 64 << 20).unwrap();
        assert_eq!(file.verify(&opts, now).unwrap().no, 121);
        // In two phases (the BLOB read once); an inspection of other bytes is not used.
        let inspected = file.inspect(&opts.inspect_limits()).unwrap();
        assert_eq!(file.verify_inspected(&inspected, &opts, now).unwrap().no, 121);
        let other = snapshot.blob.clone();
        let foreign = inspect(other.as_slice(), &opts.inspect_limits()).unwrap();
        assert_eq!(file.verify_inspected(&foreign, &opts, now).unwrap().no, 121);
        let mut tampered = decoded.clone();
        let mid = tampered.blob.len() / 2;
        tampered.blob[mid] ^= 0x01;
        assert!(matches!(tampered.verify(&opts, now), Err(SnapshotVerifyError::Blob(_))));
        let mut wrong_no = decoded;
        wrong_no.no = 122;
        assert_eq!(
            wrong_no.verify(&opts, now).unwrap_err(),
            SnapshotVerifyError::NoMismatch { stored: 122, blob: 121 }
        );
    }
}
