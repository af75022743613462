//! A test MDS: an rcgen PKI (root → CA → BLOB signer) whose CRL distribution points are on a
//! local [`MockServer`], BLOBs signed at test time, and a daemon [`Config`] pointing at it.
//! Needs the daemon crate: feature `daemon` of this crate.

use std::path::PathBuf;

use mdsd::daemon::config::{Config, RawConfig};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::blob;
use crate::http::{MockServer, Route};
use crate::pki::{self, Issued, Spec};

pub const BLOB_PATH: &str = "/mds/blob.jwt";
pub const ROOT_CRL_PATH: &str = "/crl/root.crl";
pub const CA_CRL_PATH: &str = "/crl/ca.crl";

pub struct MdsEnv {
    pub server: MockServer,
    pub root: Issued,
    pub ca: Issued,
    pub signer: Issued,
    /// Scratch directory: root PEM, state dir.
    pub dir: PathBuf,
}

impl MdsEnv {
    /// Starts the server, issues the PKI, serves current CRLs (no revocations).
    pub async fn start(name: &str) -> MdsEnv {
        let server = MockServer::start().await;
        let root = pki::root("mdsd test MDS root");
        let ca = pki::issue(
            Spec::ca("mdsd test MDS CA").crl_url(&server.url(ROOT_CRL_PATH)),
            Some(&root),
        );
        let signer =
            pki::issue(Spec::leaf("mds.test.example").crl_url(&server.url(CA_CRL_PATH)), Some(&ca));
        let dir = std::env::temp_dir().join(format!("mdsd-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.pem"), root.cert.pem()).unwrap();
        let env = MdsEnv { server, root, ca, signer, dir };
        env.serve_crls(&[]);
        env
    }

    /// Serves fresh CRLs (valid from yesterday for a week); `revoked` serials go in the CA's CRL.
    pub fn serve_crls(&self, revoked: &[u64]) {
        let now = OffsetDateTime::now_utc();
        let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(7));
        self.server.set(
            ROOT_CRL_PATH,
            Route::Ok { body: pki::crl(&self.root, &[], from, to), etag: None },
        );
        self.server.set(
            CA_CRL_PATH,
            Route::Ok { body: pki::crl(&self.ca, revoked, from, to), etag: None },
        );
    }

    /// A BLOB with serial `no` and `nextUpdate`, signed by the test signer (x5c = [signer, CA]).
    pub fn blob(&self, no: u64, next_update: Date, entries: Vec<Value>) -> Vec<u8> {
        let mut payload: Value = serde_json::from_slice(&blob::payload(no, entries)).unwrap();
        payload["nextUpdate"] = Value::from(next_update.to_string());
        let header = blob::header("ES256", &[&self.signer, &self.ca]);
        blob::sign(&header, payload.to_string().as_bytes(), &self.signer)
    }

    /// Serves `blob` at [`BLOB_PATH`] with ETag `"<no>"` (as the real MDS does).
    pub fn serve_blob(&self, no: u64, blob: Vec<u8>) {
        self.server.set(BLOB_PATH, Route::Ok { body: blob, etag: Some(format!("\"{no}\"")) });
    }

    /// A checked daemon config for this MDS: loopback on port 0, state in the scratch dir.
    pub fn config(&self) -> Config {
        self.raw_config().check().unwrap()
    }

    pub fn raw_config(&self) -> RawConfig {
        RawConfig {
            listen: Some("127.0.0.1:0".into()),
            admin_listen: Some("127.0.0.1:0".into()),
            state_dir: Some(self.dir.join("state")),
            mds_url: vec![self.server.url(BLOB_PATH)],
            mds_roots: vec![self.dir.join("root.pem")],
            fetch_timeout: Some("2s".into()),
            connect_timeout: Some("2s".into()),
            ..RawConfig::default()
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }
}

/// The scratch directory goes with the environment (kept when the test failed, to look at).
impl Drop for MdsEnv {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test failed: scratch directory kept at {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Today + `days` (UTC).
pub fn in_days(days: i64) -> Date {
    (OffsetDateTime::now_utc() + time::Duration::days(days)).date()
}
