//! Writes a local, signed test MDS and a daemon configuration into a directory, for the real
//! browser test (scripts/ci/browser.sh, examples/browser-demo/test/browser.test.js):
//!
//! ```text
//! cargo run --example browser_test_mds -- DIR --listen 127.0.0.1:PORT \
//!     [--entry AAGUID=ROOT_CERT_FILE ...]
//! target/debug/mdsd serve --config DIR/mdsd.toml [--attestation-root CERT]
//! ```
//!
//! DIR receives `blob.jwt` (a BLOB signed by a test PKI made now: root → CA → signer, as
//! `mds_env` makes it), `mds-root.pem` (the BLOB trust anchor), `crl/root.crl` and `crl/ca.crl`
//! (current, empty; the certificates' distribution points are looked up in that directory
//! through `crl_mirror`), `state/` and `mdsd.toml` (gRPC on `--listen`, admin off, the README's
//! two passkey profiles). The BLOB always holds the W3C test authenticator's entry (anchored at
//! the W3C test CA of ../shared/testdata); each `--entry AAGUID=FILE` adds a FIDO2 entry with that
//! AAGUID whose attestation root is the certificate in FILE (PEM or DER): the browser test names
//! Chromium's virtual authenticator this way to see a registration trusted through metadata.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mdsd_test_support::mds_env::in_days;
use mdsd_test_support::pki::{self, Spec};
use mdsd_test_support::policy::TWO_PROFILES_TOML;
use mdsd_test_support::vectors::vector_json;
use mdsd_test_support::{blob, shared};
use serde_json::{json, Value};
use time::OffsetDateTime;

const USAGE: &str =
    "usage: browser_test_mds DIR --listen HOST:PORT [--entry AAGUID=ROOT_CERT_FILE ...]";

struct Args {
    dir: PathBuf,
    listen: String,
    entries: Vec<(String, PathBuf)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut listen, mut entries) = (None, None, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--listen" => listen = Some(args.next().ok_or("--listen needs HOST:PORT")?),
            "--entry" => {
                let value = args.next().ok_or("--entry needs AAGUID=FILE")?;
                let (aaguid, file) = value.split_once('=').ok_or("--entry needs AAGUID=FILE")?;
                entries.push((aaguid.to_ascii_lowercase(), PathBuf::from(file)));
            }
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    Ok(Args {
        dir: dir.ok_or("DIR is required")?,
        listen: listen.ok_or("--listen is required")?,
        entries,
    })
}

/// A certificate file as DER (PEM "CERTIFICATE" blocks are decoded, anything else is taken as
/// DER).
fn cert_der(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Ok(text) = std::str::from_utf8(&bytes) else { return bytes };
    let Some(start) = text.find("-----BEGIN CERTIFICATE-----") else { return bytes };
    let body = &text[start + "-----BEGIN CERTIFICATE-----".len()..];
    let end = body.find("-----END CERTIFICATE-----").expect("PEM without END line");
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(b64).expect("PEM body is not base64")
}

fn entry(aaguid: &str, description: &str, root_der: &[u8]) -> Value {
    let mut e = blob::fido2_entry(aaguid, "FIDO_CERTIFIED_L1");
    e["metadataStatement"]["description"] = json!(description);
    e["metadataStatement"]["attestationTypes"] = json!(["basic_full", "self"]);
    e["metadataStatement"]["attestationRootCertificates"] = json!([STANDARD.encode(root_der)]);
    e["metadataStatement"]["authenticationAlgorithms"] = json!(["secp256r1_ecdsa_sha256_raw"]);
    // What Chromium's virtual CTAP2 authenticator offers (internal UV, resident keys), as an
    // enforcing profile reads it from certified metadata.
    e["metadataStatement"]["userVerificationDetails"] = json!([[{"userVerificationMethod": "presence_internal"}], [{"userVerificationMethod": "passcode_internal"}]]);
    e["metadataStatement"]["authenticatorGetInfo"] = json!({"versions": ["FIDO_2_0", "FIDO_2_1"], "options": {"rk": true, "up": true, "uv": true}});
    e
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("error: {e}\n{USAGE}");
        std::process::exit(2);
    });
    let dir = &args.dir;
    std::fs::create_dir_all(dir.join("crl")).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();

    // The BLOB signing PKI; the CRLs are found in DIR/crl by their distribution point's file name.
    let root = pki::root("mdsd browser-test MDS root");
    let ca = pki::issue(
        Spec::ca("mdsd browser-test MDS CA").crl_url("http://crl.invalid/root.crl"),
        Some(&root),
    );
    let signer = pki::issue(
        Spec::leaf("mds.browser-test.invalid").crl_url("http://crl.invalid/ca.crl"),
        Some(&ca),
    );
    let now = OffsetDateTime::now_utc();
    let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(30));
    std::fs::write(dir.join("crl/root.crl"), pki::crl(&root, &[], from, to)).unwrap();
    std::fs::write(dir.join("crl/ca.crl"), pki::crl(&ca, &[], from, to)).unwrap();
    std::fs::write(dir.join("mds-root.pem"), root.cert.pem()).unwrap();

    let w3c_aaguid = vector_json("w3c-packed-es256")["aaguid"].as_str().unwrap().to_string();
    let w3c_root = shared::read("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let mut entries = vec![entry(&w3c_aaguid, "W3C test authenticator", &w3c_root)];
    for (aaguid, file) in &args.entries {
        entries.push(entry(aaguid, &format!("Test entry {aaguid}"), &cert_der(file)));
    }
    let no = 1;
    let mut payload: Value = serde_json::from_slice(&blob::payload(no, entries)).unwrap();
    payload["nextUpdate"] = json!(in_days(30).to_string());
    let header = blob::header("ES256", &[&signer, &ca]);
    let jwt = blob::sign(&header, payload.to_string().as_bytes(), &signer);
    std::fs::write(dir.join("blob.jwt"), jwt).unwrap();

    let abs = |p: &str| std::path::absolute(dir.join(p)).unwrap().display().to_string();
    let config = format!(
        "# Written by examples/browser_test_mds.rs for the browser test.\n\
         listen = {listen:?}\n\
         admin_listen = \"off\"\n\
         state_dir = {state:?}\n\
         mds_url = {blob:?}\n\
         mds_roots = [{root:?}]\n\
         crl_mirror = {crl:?}\n\
         retry_min = \"1s\"\n\n\
         {TWO_PROFILES_TOML}",
        listen = args.listen,
        state = abs("state"),
        blob = abs("blob.jwt"),
        root = abs("mds-root.pem"),
        crl = abs("crl"),
    );
    std::fs::write(dir.join("mdsd.toml"), config).unwrap();
    println!("{}", json!({ "dir": abs(""), "config": abs("mdsd.toml"), "blob_no": no }));
}
