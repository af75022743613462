//! What the daemon's gRPC answers say about the server itself: operator trust anchors are named
//! by their certificate ("operator MDS root: <CN>", "operator anchor: <CN>"), never by the file
//! they were configured from — that path is for the start-up log only.

use std::time::{Duration, Instant};

use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    validate_attestation_chain_request, GetMetadataInfoRequest, ValidateAttestationChainRequest,
    Verdict, VerifyRegistrationRequest,
};
use mdsd::daemon::server::start;
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use mdsd_test_support::vectors::vector_json as vector;
use mdsd_test_support::{b64, shared};
use tonic::transport::Channel;

/// The W3C WebAuthn L3 "Packed Attestation with ES256 Credential" vector (its CA: CN
/// "WebAuthn test vectors").
const PACKED_ES256: &str = "w3c-packed-es256";

fn packed_x5c(attestation_object: &[u8]) -> Vec<Vec<u8>> {
    let value: ciborium::Value = ciborium::from_reader(attestation_object).unwrap();
    let map = value.as_map().unwrap();
    let att_stmt =
        map.iter().find(|(k, _)| k.as_text() == Some("attStmt")).unwrap().1.as_map().unwrap();
    let x5c =
        att_stmt.iter().find(|(k, _)| k.as_text() == Some("x5c")).unwrap().1.as_array().unwrap();
    x5c.iter().map(|c| c.as_bytes().unwrap().clone()).collect()
}

/// The configured anchor files sit under a distinctive directory; no answer may contain it.
#[tokio::test]
async fn anchor_labels_in_answers_never_name_the_configured_files() {
    let env = MdsEnv::start("answers-anchor-paths").await;
    env.serve_blob(4, env.blob(4, in_days(30), vec![]));
    let private = env.dir.join("operator-private-dir");
    std::fs::create_dir_all(&private).unwrap();
    let anchor = private.join("w3c-attestation-ca.der");
    std::fs::copy(
        shared::path("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der"),
        &anchor,
    )
    .unwrap();
    let mds_root = private.join("mds-root.pem");
    std::fs::copy(env.dir.join("root.pem"), &mds_root).unwrap();
    let mut raw = env.raw_config();
    raw.mds_roots = vec![mds_root];
    raw.attestation_roots = vec![anchor];
    let running = start(raw.check().unwrap()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while running.shared.current().is_none() {
        assert!(Instant::now() < deadline, "{:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let channel = Channel::from_shared(format!("http://{}", running.grpc_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut api = AttestationServiceClient::new(channel);
    let leaks = |answer: &str| {
        ["operator-private-dir", "mds-root.pem", "w3c-attestation-ca.der"]
            .into_iter()
            .filter(|part| answer.contains(part))
            .collect::<Vec<_>>()
    };

    // The BLOB's anchor (an operator mds_root).
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert_eq!(info.anchor.as_ref().unwrap().label, "operator MDS root: mdsd test MDS root");
    assert_eq!(leaks(&format!("{info:?}")), Vec::<&str>::new(), "{info:?}");

    // An attestation chain that an operator attestation anchor vouches for (no metadata entry).
    let v = vector(PACKED_ES256);
    let chain = api
        .validate_attestation_chain(ValidateAttestationChainRequest {
            authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
                v["aaguid"].as_str().unwrap().into(),
            )),
            x5c: packed_x5c(&b64(&v["attestationObject_b64url"])),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(chain.verdict, Verdict::Accepted as i32, "{:?}", chain.reasons);
    assert_eq!(chain.anchor.as_ref().unwrap().label, "operator anchor: WebAuthn test vectors");
    assert_eq!(leaks(&format!("{chain:?}")), Vec::<&str>::new(), "{chain:?}");

    let registration = api
        .verify_registration(VerifyRegistrationRequest {
            attestation_object: b64(&v["attestationObject_b64url"]),
            client_data_json: b64(&v["clientDataJSON_b64url"]),
            rp_id: v["rpId"].as_str().unwrap().to_string(),
            origins: vec![v["origin"].as_str().unwrap().to_string()],
            challenge: b64(&v["challenge_b64url"]),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(registration.trusted, "{:?}", registration.reasons);
    assert_eq!(
        registration.anchor.as_ref().unwrap().label,
        "operator anchor: WebAuthn test vectors"
    );
    assert_eq!(leaks(&format!("{registration:?}")), Vec::<&str>::new(), "{registration:?}");
    running.shutdown().await;
}
