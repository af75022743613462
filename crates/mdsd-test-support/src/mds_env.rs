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

    /// [`MdsEnv::raw_config`] serving gRPC over mutual TLS: a server certificate for
    /// `localhost` and a client CA, each from a fresh CA of its own (files in the scratch
    /// directory), with what a client needs to connect.
    pub fn mtls_raw_config(&self) -> (RawConfig, MtlsClient) {
        let (server_ca, client_ca) = (tls_ca("mdsd test server CA"), tls_ca("mdsd test client CA"));
        let (server_cert, server_key) = tls_leaf("localhost", &server_ca);
        let (client_cert, client_key) = tls_leaf("relying-party", &client_ca);
        let write = |name: &str, pem: &str| {
            let path = self.dir.join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let mut raw = self.raw_config();
        raw.tls_cert = Some(write("server.pem", &server_cert));
        raw.tls_key = Some(write("server.key", &server_key));
        raw.tls_client_ca = Some(write("client-ca.pem", &client_ca.0.pem()));
        let client = MtlsClient { server_ca_pem: server_ca.0.pem(), client_cert, client_key };
        (raw, client)
    }
}

/// What a client of [`MdsEnv::mtls_raw_config`] needs (PEM): the CA of the server's
/// certificate (for `localhost`), and its own certificate and key.
pub struct MtlsClient {
    pub server_ca_pem: String,
    pub client_cert: String,
    pub client_key: String,
}

/// A self-signed CA for TLS tests.
fn tls_ca(cn: &str) -> (rcgen::Certificate, rcgen::KeyPair) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    (params.self_signed(&key).unwrap(), key)
}

/// A TLS end-entity certificate for DNS name `name` issued by `issuer`: (certificate PEM, key
/// PEM).
fn tls_leaf(name: &str, issuer: &(rcgen::Certificate, rcgen::KeyPair)) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .signed_by(&key, &issuer.0, &issuer.1)
        .unwrap();
    (cert.pem(), key.serialize_pem())
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
