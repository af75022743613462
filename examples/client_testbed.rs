//! Writes everything a client package's tests need to run the real `mdsd` binary offline into
//! one directory: a test MDS PKI (root → CA → BLOB signer, no CRL distribution points) with
//! current CRLs, a BLOB it signed holding an entry for the W3C WebAuthn test vectors'
//! authenticator, daemon configs (plaintext; TLS + mTLS) with the README's two passkey
//! profiles, TLS material for both ends, and the W3C vectors the tests send.
//!
//! ```text
//! cargo run --example client_testbed -- DIR
//! target/debug/mdsd serve --config DIR/config.toml --listen 127.0.0.1:PORT
//! ```
//!
//! Used by clients/python, clients/node and crates/mdsd-client tests (their READMEs).
//! Files: `mds-root.pem`, `blob.jwt`, `mds-root.crl`, `mds-ca.crl`, `config.toml`,
//! `config-mtls.toml`, `tls/{server-ca,server,client-ca,client}.pem` + `.key`, `vectors.json`
//! (`packed`, `none`: the W3C vectors' JSON objects), `testbed.json` (AAGUIDs, BLOB `no`).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mdsd_test_support::pki::{self, Spec};
use mdsd_test_support::policy::TWO_PROFILES_TOML;
use mdsd_test_support::vectors::vector_json;
use mdsd_test_support::{blob, shared};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use serde_json::json;
use time::OffsetDateTime;

/// The BLOB serial number the testbed serves.
const BLOB_NO: u64 = 7;
/// An AAGUID with a REVOKED entry (for lookups and CheckCredentials).
const REVOKED_AAGUID: &str = "0badc0de-0000-4000-8000-000000000001";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os().nth(1).map(PathBuf::from).ok_or("usage: client_testbed DIR")?;
    std::fs::create_dir_all(dir.join("tls"))?;
    let now = OffsetDateTime::now_utc();
    let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(7));

    // The MDS PKI; revocation is checked with CRL files (crl_files), never fetched.
    let root = pki::root("mdsd testbed MDS root");
    let ca = pki::issue(Spec::ca("mdsd testbed MDS CA"), Some(&root));
    let signer = pki::issue(Spec::leaf("mds.testbed.example"), Some(&ca));
    write(&dir, "mds-root.pem", root.cert.pem().as_bytes())?;
    write(&dir, "mds-root.crl", &pki::crl(&root, &[], from, to))?;
    write(&dir, "mds-ca.crl", &pki::crl(&ca, &[], from, to))?;

    // The BLOB: the W3C test authenticator (certified), a revoked model.
    let packed = vector_json("w3c-packed-es256");
    let w3c_aaguid = packed["aaguid"].as_str().ok_or("vector without aaguid")?;
    let w3c_root = shared::read("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let mut w3c = blob::fido2_entry(w3c_aaguid, "FIDO_CERTIFIED_L1");
    w3c["metadataStatement"]["description"] = json!("W3C test authenticator");
    w3c["metadataStatement"]["attestationRootCertificates"] = json!([STANDARD.encode(&w3c_root)]);
    let mut revoked = blob::fido2_entry(REVOKED_AAGUID, "REVOKED");
    revoked["metadataStatement"]["description"] = json!("Revoked test authenticator");
    let mut payload: serde_json::Value =
        serde_json::from_slice(&blob::payload(BLOB_NO, vec![w3c, revoked]))?;
    payload["nextUpdate"] = json!((now + time::Duration::days(30)).date().to_string());
    let header = blob::header("ES256", &[&signer, &ca]);
    write(&dir, "blob.jwt", &blob::sign(&header, payload.to_string().as_bytes(), &signer))?;

    // TLS: a server certificate for localhost, a client certificate for mTLS.
    let (server_ca, server_ca_key) = tls_ca("mdsd testbed server CA")?;
    let (client_ca, client_ca_key) = tls_ca("mdsd testbed client CA")?;
    for (name, cert, key) in [
        ("server-ca", server_ca.pem(), None),
        ("client-ca", client_ca.pem(), None),
        tls_leaf("server", "localhost", &server_ca, &server_ca_key)?,
        tls_leaf("client", "relying-party", &client_ca, &client_ca_key)?,
    ] {
        write(&dir, &format!("tls/{name}.pem"), cert.as_bytes())?;
        if let Some(key) = key {
            write(&dir, &format!("tls/{name}.key"), key.as_bytes())?;
        }
    }

    let d = |name: &str| toml_string(&dir.join(name));
    let base = format!(
        "mds_url = {blob}\nmds_roots = [{root}]\ncrl_files = [{crl_root}, {crl_ca}]\n\
         admin_listen = \"off\"\n",
        blob = d("blob.jwt"),
        root = d("mds-root.pem"),
        crl_root = d("mds-root.crl"),
        crl_ca = d("mds-ca.crl"),
    );
    // Each config its own state directory: two daemons may run from one testbed.
    let config = format!("{base}state_dir = {}\n\n{TWO_PROFILES_TOML}", d("state"));
    write(&dir, "config.toml", config.as_bytes())?;
    let mtls = format!(
        "{base}state_dir = {}\ntls_cert = {}\ntls_key = {}\ntls_client_ca = {}\n\n{TWO_PROFILES_TOML}",
        d("state-mtls"),
        d("tls/server.pem"),
        d("tls/server.key"),
        d("tls/client-ca.pem"),
    );
    write(&dir, "config-mtls.toml", mtls.as_bytes())?;

    let vectors = json!({ "packed": packed, "none": vector_json("w3c-none-es256") });
    write(&dir, "vectors.json", serde_json::to_string_pretty(&vectors)?.as_bytes())?;
    let facts = json!({
        "blob_no": BLOB_NO.to_string(),
        "w3c_aaguid": w3c_aaguid,
        "revoked_aaguid": REVOKED_AAGUID,
    });
    write(&dir, "testbed.json", serde_json::to_string_pretty(&facts)?.as_bytes())?;
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(dir.join(name), bytes)
}

/// A TOML basic string holding `path` (JSON string escaping is valid TOML).
fn toml_string(path: &Path) -> String {
    serde_json::Value::from(path.display().to_string()).to_string()
}

fn tls_ca(cn: &str) -> Result<(rcgen::Certificate, KeyPair), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    Ok((params.self_signed(&key)?, key))
}

type PemPair = (&'static str, String, Option<String>);

fn tls_leaf(
    name: &'static str,
    dns: &str,
    issuer: &rcgen::Certificate,
    issuer_key: &KeyPair,
) -> Result<PemPair, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert =
        CertificateParams::new(vec![dns.to_string()])?.signed_by(&key, issuer, issuer_key)?;
    Ok((name, cert.pem(), Some(key.serialize_pem())))
}
