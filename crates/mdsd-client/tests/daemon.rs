//! The Rust client against the real daemon (in-process, on a test MDS): answers, errors with
//! their ErrorInfo reason and BadRequest violations, TCP and unix: targets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mdsd::daemon::server::{start, Running};
use mdsd_client::proto::{get_authenticator_request::Key, CredentialKind, Verdict};
use mdsd_client::{proto, Client, Options, DEFAULT_TIMEOUT};
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use mdsd_test_support::vectors::vector_json as vector;
use mdsd_test_support::{b64, blob, shared};
use serde_json::json;

async fn daemon(env: &MdsEnv, listen: Option<String>) -> Running {
    let v = vector("w3c-packed-es256");
    let root = shared::read("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let mut entry = blob::fido2_entry(v["aaguid"].as_str().unwrap(), "FIDO_CERTIFIED_L1");
    entry["metadataStatement"]["attestationRootCertificates"] = json!([STANDARD.encode(root)]);
    env.serve_blob(5, env.blob(5, in_days(30), vec![entry]));
    let mut raw = env.raw_config();
    if let Some(listen) = listen {
        raw.listen = Some(listen);
    }
    start(raw.check().unwrap()).await.unwrap()
}

async fn loaded(target: &str) -> Client {
    for _ in 0..200 {
        if let Ok(mut c) = Client::connect(target).await {
            if c.get_metadata_info().await.is_ok_and(|i| i.loaded) {
                return c;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("mdsd at {target} never loaded its BLOB");
}

fn registration() -> proto::VerifyRegistrationRequest {
    let v = vector("w3c-packed-es256");
    proto::VerifyRegistrationRequest {
        attestation_object: b64(&v["attestationObject_b64url"]),
        client_data_json: b64(&v["clientDataJSON_b64url"]),
        rp_id: v["rpId"].as_str().unwrap().into(),
        origins: vec![v["origin"].as_str().unwrap().into()],
        challenge: b64(&v["challenge_b64url"]),
        ..Default::default()
    }
}

#[tokio::test]
async fn answers_and_errors_over_tcp() {
    let env = MdsEnv::start("client-rs-tcp").await;
    let running = daemon(&env, None).await;
    let addr = running.grpc_addr.unwrap().to_string();
    let mut c = loaded(&addr).await;

    let answer = c.verify_registration(registration()).await.unwrap();
    assert_eq!(answer.verdict(), Verdict::Accepted, "{:?}", answer.reasons);
    assert_eq!(answer.credential_kind(), CredentialKind::Synced);
    assert_eq!(answer.metadata_no, 5);

    let e = c.verify_registration(proto::VerifyRegistrationRequest::default()).await.unwrap_err();
    assert_eq!(e.code, tonic::Code::InvalidArgument);
    assert_eq!(
        (e.code_name, e.reason.as_str(), e.domain.as_str()),
        ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "mdsd.dev")
    );
    assert_eq!(e.metadata["field"], "attestation_object");
    assert_eq!(e.field_violations[0].0, "attestation_object");
    assert!(e.to_string().starts_with("INVALID_ARGUMENT [INVALID_ARGUMENT]: attestation_object"));

    let missing = Key::Aaguid("00000000-0000-4000-8000-00000000beef".into());
    let e = c.get_authenticator(missing).await.unwrap_err();
    assert_eq!((e.code_name, e.reason.as_str()), ("NOT_FOUND", "NOT_FOUND"));

    // Resuming by sequence: nothing was published yet, so 0 is "all" and 1 is from the future.
    assert!(c.watch_status_changes_since_sequence(0).await.is_ok());
    let e = c.watch_status_changes_since_sequence(1).await.unwrap_err();
    assert_eq!(e.code_name, "INVALID_ARGUMENT");
    assert_eq!(e.field_violations[0].0, "since_sequence");
    running.shutdown().await;

    // Nothing listening: UNAVAILABLE, no reason.
    let e = Client::connect(&addr).await.unwrap_err();
    assert_eq!((e.code_name, e.reason.as_str()), ("UNAVAILABLE", ""));
    assert_eq!(Options::default().timeout, DEFAULT_TIMEOUT);
}

#[tokio::test]
async fn unix_socket_target() {
    let env = MdsEnv::start("client-rs-unix").await;
    let socket = env.dir.join("mdsd.sock");
    let running = daemon(&env, Some(format!("unix:{}", socket.display()))).await;
    let mut c = loaded(&format!("unix:{}", socket.display())).await;
    let answer = c.verify_registration(registration()).await.unwrap();
    assert_eq!(answer.verdict(), Verdict::Accepted);
    running.shutdown().await;
}

/// TLS with a client certificate (mTLS): `Options::tls` with the server CA and an identity gets
/// through; the same CA without an identity does not.
#[tokio::test]
async fn mtls_target() {
    use mdsd_client::Tls;
    let env = MdsEnv::start("client-rs-mtls").await;
    let v = vector("w3c-packed-es256");
    env.serve_blob(
        5,
        env.blob(
            5,
            in_days(30),
            vec![blob::fido2_entry(v["aaguid"].as_str().unwrap(), "FIDO_CERTIFIED_L1")],
        ),
    );
    let (raw, pems) = env.mtls_raw_config();
    let running = start(raw.check().unwrap()).await.unwrap();
    let target = format!("127.0.0.1:{}", running.grpc_addr.unwrap().port());

    let tls = Tls {
        ca_pem: pems.server_ca_pem.into_bytes(),
        identity: Some((pems.client_cert.into_bytes(), pems.client_key.into_bytes())),
        server_name: Some("localhost".into()),
    };
    let options = Options { tls: Some(tls.clone()), ..Options::default() };
    let mut c = Client::connect_with(&target, options).await.unwrap();
    let mut loaded = false;
    for _ in 0..200 {
        if c.get_metadata_info().await.is_ok_and(|i| i.loaded) {
            loaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(loaded, "never loaded over mTLS");

    let anonymous = Options { tls: Some(Tls { identity: None, ..tls }), ..Options::default() };
    let refused = match Client::connect_with(&target, anonymous).await {
        Err(e) => e.code_name == "UNAVAILABLE",
        Ok(mut c) => c.get_metadata_info().await.is_err(),
    };
    assert!(refused, "a client without a certificate got through mTLS");
    running.shutdown().await;
}
