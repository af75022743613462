//! The on-disk state: the last accepted BLOB with its `no` and the CRLs it was verified with
//! (`snapshot.v1`), and the CRL cache (`crl-cache/`). The only module that knows these formats.
//!
//! Crash safety: every file is written to a temporary name in the same directory, fsynced,
//! renamed over the old one, and the directory is fsynced; a crash leaves either the old or the
//! new file. Leftover temporary files are ignored on load and removed at start-up.
//!
//! Nothing read from here is trusted blindly: the snapshot carries a SHA-256 trailer (a torn or
//! corrupt file is reported, never served) and the BLOB is verified again with the core
//! ([`Snapshot::verify`]) before it is served.
//!
//! `snapshot.v1` layout (integers big-endian):
//!
//! ```text
//! magic   "MDSD-SNAPSHOT\n"            14 bytes
//! version u32 = 1
//! meta    u32 length + JSON {"no", "source", "fetched_at" (RFC 3339), "etag"}
//! blob    u64 length + the BLOB bytes exactly as received
//! crls    u32 count, then each: u32 length + DER
//! sha256  32 bytes over everything above
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

use crate::mds::{verify_blob, BlobError, BlobVerifyOptions, VerifiedBlob};
use crate::x509::{Cert, Crl};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// File name of the snapshot inside the state directory.
pub const SNAPSHOT_FILE: &str = "snapshot.v1";
/// Directory of cached CRLs inside the state directory.
pub const CRL_CACHE_DIR: &str = "crl-cache";
/// The current format version.
pub const SNAPSHOT_VERSION: u32 = 1;
const MAGIC: &[u8; 14] = b"MDSD-SNAPSHOT\n";
/// Marker in temporary file names (`.<name>.tmp-<pid>-<n>`).
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
}

/// Why a snapshot could not be read or written.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// Truncated, bit-flipped or otherwise damaged: reported, never served.
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// Written by another (newer) mdsd.
    #[error("{path} has format version {version}; this mdsd reads version {SNAPSHOT_VERSION}")]
    UnsupportedVersion { path: PathBuf, version: u32 },
    /// A bound on the contents was exceeded.
    #[error("{path}: {what} is {size}, more than {max}")]
    TooLarge { path: PathBuf, what: &'static str, size: u64, max: u64 },
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
        let mut opts = opts.clone();
        opts.last_accepted_no = None;
        if !self.x5u_chain.is_empty() {
            let chain = self
                .x5u_chain
                .iter()
                .map(|der| Cert::from_der(der).map(Arc::new))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| SnapshotVerifyError::X5u(e.to_string()))?;
            opts.x5u_chain = Some(chain);
            opts.blob_url = Some(self.source.clone());
        }
        for der in &self.crls {
            let crl =
                Crl::from_pem_or_der(der).map_err(|e| SnapshotVerifyError::Crl(e.to_string()))?;
            opts.crls.push(Arc::new(crl));
        }
        let verified = verify_blob(&self.blob, &opts, now).map_err(SnapshotVerifyError::Blob)?;
        if verified.no != self.no {
            return Err(SnapshotVerifyError::NoMismatch { stored: self.no, blob: verified.no });
        }
        Ok(verified)
    }

    /// Encodes the snapshot in the `snapshot.v1` layout.
    pub fn encode(&self) -> Vec<u8> {
        let meta = Meta {
            no: self.no,
            source: self.source.clone(),
            fetched_at: self.fetched_at,
            etag: self.etag.clone(),
            x5u_chain: self.x5u_chain.iter().map(|der| B64.encode(der)).collect(),
        };
        // Serialising this plain struct cannot fail; an empty meta would fail decoding loudly.
        let meta = serde_json::to_vec(&meta).unwrap_or_default();
        let mut out = Vec::with_capacity(self.blob.len() + 4096);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
        out.extend_from_slice(&len_u32(meta.len()).to_be_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(self.blob.len() as u64).to_be_bytes());
        out.extend_from_slice(&self.blob);
        out.extend_from_slice(&len_u32(self.crls.len()).to_be_bytes());
        for crl in &self.crls {
            out.extend_from_slice(&len_u32(crl.len()).to_be_bytes());
            out.extend_from_slice(crl);
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, &out);
        out.extend_from_slice(digest.as_ref());
        out
    }

    /// Decodes a `snapshot.v1` file; `path` only names it in errors. The checksum is checked
    /// before anything else is trusted; `max_blob_bytes` bounds the BLOB.
    pub fn decode(
        bytes: &[u8],
        path: &Path,
        max_blob_bytes: usize,
    ) -> Result<Snapshot, SnapshotError> {
        let corrupt = |reason: &str| SnapshotError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        };
        let body_len =
            bytes.len().checked_sub(32).ok_or_else(|| corrupt("shorter than its checksum"))?;
        let (body, digest) = bytes.split_at(body_len);
        let mut r = Reader { rest: body };
        if r.take(MAGIC.len()).ok_or_else(|| corrupt("truncated magic"))? != MAGIC {
            return Err(corrupt("not an mdsd snapshot (bad magic)"));
        }
        let version = r.u32().ok_or_else(|| corrupt("truncated version"))?;
        // The version is checked before the checksum so a newer format is named as such.
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion { path: path.to_path_buf(), version });
        }
        let actual = ring::digest::digest(&ring::digest::SHA256, body);
        if actual.as_ref() != digest {
            return Err(corrupt("checksum mismatch (torn write or damaged file)"));
        }
        let too_large = |what: &'static str, size: u64, max: u64| SnapshotError::TooLarge {
            path: path.to_path_buf(),
            what,
            size,
            max,
        };
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
        let blob = r.take(blob_len as usize).ok_or_else(|| corrupt("truncated BLOB"))?.to_vec();
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
            crls.push(r.take(len as usize).ok_or_else(|| corrupt("truncated CRL"))?.to_vec());
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
        Ok(Snapshot {
            no: meta.no,
            source: meta.source,
            fetched_at: meta.fetched_at,
            etag: meta.etag,
            blob,
            crls,
            x5u_chain,
        })
    }
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
}

impl StateDir {
    /// Opens (creating if needed) the state directory and removes temporary files left by an
    /// earlier crash. Returns how many were removed.
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
        Ok((StateDir { dir: dir.to_path_buf() }, removed))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILE)
    }

    /// Reads the snapshot: `Ok(None)` when there is none yet.
    pub fn load_snapshot(&self, max_blob_bytes: usize) -> Result<Option<Snapshot>, SnapshotError> {
        let path = self.snapshot_path();
        // The file may hold the BLOB plus CRLs: bound the read by what decoding would accept.
        let max = (max_blob_bytes as u64)
            .saturating_add(u64::from(MAX_META_BYTES))
            .saturating_add(u64::from(MAX_CRLS) * u64::from(MAX_CRL_BYTES) / 16)
            .saturating_add(1024);
        match crate::daemon::config::read_capped(&path, max) {
            Ok(bytes) => Snapshot::decode(&bytes, &path, max_blob_bytes).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => Err(SnapshotError::TooLarge {
                path,
                what: "file",
                size: max.saturating_add(1),
                max,
            }),
            Err(source) => Err(SnapshotError::Io { path, source }),
        }
    }

    /// Writes the snapshot atomically (temp file, fsync, rename, fsync directory).
    pub fn store_snapshot(&self, snapshot: &Snapshot) -> Result<(), SnapshotError> {
        write_atomic(&self.dir, SNAPSHOT_FILE, &snapshot.encode())
            .map_err(|source| SnapshotError::Io { path: self.snapshot_path(), source })
    }

    /// The cache file for the CRL at distribution point `url`.
    pub fn crl_cache_path(&self, url: &str) -> PathBuf {
        self.dir.join(CRL_CACHE_DIR).join(crl_cache_name(url))
    }

    /// A cached CRL (DER or PEM as fetched), if any. The caller parses and checks it.
    pub fn load_cached_crl(&self, url: &str) -> Option<Vec<u8>> {
        crate::daemon::config::read_capped(&self.crl_cache_path(url), MAX_CRL_BYTES.into()).ok()
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
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}{TMP_MARKER}{}-{n}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
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

/// The cache file name of a CRL URL: SHA-256 of the URL (no path tricks from the URL itself).
fn crl_cache_name(url: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, url.as_bytes());
    format!("{}.crl", hex::encode(digest.as_ref()))
}

#[derive(Serialize, Deserialize)]
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
}

fn len_u32(len: usize) -> u32 {
    // Sections are bounded far below 4 GiB (BLOB length is u64); saturate rather than wrap so
    // an impossible size fails decoding instead of aliasing.
    u32::try_from(len).unwrap_or(u32::MAX)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
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
