//! End to end: the real daemon in-process on 127.0.0.1:0, a local HTTP server standing in for
//! the MDS (a BLOB signed by a test PKI generated here, CRLs at the URLs in its certificates),
//! driven through the generated tonic client: health transitions, VerifyRegistration with real
//! W3C test vectors, the lookups, GetMetadataInfo, reflection, error codes, the admin endpoint.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    get_authenticator_request, validate_attestation_chain_request, CredentialKind,
    EvaluateAuthenticationRequest, GetAuthenticatorRequest, GetMetadataInfoRequest,
    ListAuthenticatorsRequest, ValidateAttestationChainRequest, Verdict, VerifyRegistrationRequest,
};
use mdsd::daemon::server::{start, Running};
use mdsd_test_support::http::http_get;
use mdsd_test_support::mds_env::{self, in_days, MdsEnv, BLOB_PATH};
use mdsd_test_support::policy::TWO_PROFILES_TOML;
use mdsd_test_support::vectors::vector_json as vector;
use mdsd_test_support::{b64, blob, shared};
use serde_json::{json, Value};
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// The W3C WebAuthn L3 "Packed Attestation with ES256 Credential" vector.
const PACKED_ES256: &str = "w3c-packed-es256";
const NONE_ES256: &str = "w3c-none-es256";

/// A metadata entry for the W3C packed vector's AAGUID, anchored at the W3C test CA.
fn w3c_entry(status: &str) -> Value {
    let aaguid = vector(PACKED_ES256)["aaguid"].as_str().unwrap().to_string();
    let root = shared::read("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let mut entry = blob::fido2_entry(&aaguid, status);
    entry["metadataStatement"]["description"] = json!("W3C test authenticator");
    entry["metadataStatement"]["attestationRootCertificates"] = json!([STANDARD.encode(root)]);
    entry
}

fn registration(id: &str) -> VerifyRegistrationRequest {
    let v = vector(id);
    VerifyRegistrationRequest {
        attestation_object: b64(&v["attestationObject_b64url"]),
        client_data_json: b64(&v["clientDataJSON_b64url"]),
        rp_id: v["rpId"].as_str().unwrap().to_string(),
        origins: vec![v["origin"].as_str().unwrap().to_string()],
        challenge: b64(&v["challenge_b64url"]),
        ..Default::default()
    }
}

async fn client(running: &Running) -> (AttestationServiceClient<Channel>, HealthClient<Channel>) {
    let url = format!("http://{}", running.grpc_addr.unwrap());
    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    (AttestationServiceClient::new(channel.clone()), HealthClient::new(channel))
}

async fn health(h: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    let r = h.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
    ServingStatus::try_from(r.status).unwrap()
}

async fn wait_serving(h: &mut HealthClient<Channel>) {
    for _ in 0..100 {
        if health(h, "").await == ServingStatus::Serving {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("daemon never became SERVING");
}

#[tokio::test]
async fn daemon_end_to_end() {
    let env = MdsEnv::start("e2e").await;
    // No BLOB yet: the daemon starts, is not ready, and says why.
    let running = start(env.config()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    // The first round (a 404) has ended once it left its error.
    let started = std::time::Instant::now();
    while running.shared.status().last_error.is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the first round never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(health(&mut h, "").await, ServingStatus::NotServing);
    assert_eq!(health(&mut h, "mdsd.v1.AttestationService").await, ServingStatus::NotServing);
    let err = api.verify_registration(registration(PACKED_ES256)).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert!(!info.loaded);
    assert!(info.last_error.contains("404"), "{}", info.last_error);

    // The MDS publishes; an operator triggers a refresh; health turns SERVING.
    env.serve_blob(
        42,
        env.blob(
            42,
            in_days(30),
            vec![w3c_entry("FIDO_CERTIFIED_L1"), {
                let mut e =
                    blob::u2f_entry(&["0123456789abcdef0123456789abcdef01234567"], "REVOKED");
                e["futureField"] = json!(true);
                e
            }],
        ),
    );
    running.shared.trigger_refresh();
    wait_serving(&mut h).await;
    assert_eq!(health(&mut h, "mdsd.v1.AttestationService").await, ServingStatus::Serving);

    // A real packed attestation chaining to the root its metadata entry names: ACCEPTED.
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Accepted as i32, "{:?}", r.reasons);
    assert!(r.trusted && r.statement_valid && r.ceremony_checked);
    assert_eq!(r.format, "packed");
    assert_eq!(r.aaguid, vector(PACKED_ES256)["aaguid"].as_str().unwrap());
    assert_eq!(r.metadata_no, 42);
    assert!(!r.metadata_stale);
    // The kind follows the BE flag of the vector's authenticatorData.
    let flags = r.flags.unwrap();
    let kind =
        if flags.backup_eligible { CredentialKind::Synced } else { CredentialKind::DeviceBound };
    assert_eq!(r.credential_kind, kind as i32);
    assert_eq!(flags.raw & 0x08 != 0, flags.backup_eligible);
    assert!(r.reasons.is_empty());
    assert!(r.policy.is_none(), "no [policy] configured, yet a decision came back");
    assert_eq!(r.attestation_trust, "metadata");
    let err =
        api.evaluate_authentication(EvaluateAuthenticationRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let authenticator = r.authenticator.unwrap();
    assert_eq!(authenticator.description, "W3C test authenticator");
    assert_eq!(authenticator.status, "FIDO_CERTIFIED_L1");
    assert!(r.anchor.is_some());
    assert!(!r.credential_id.is_empty());

    // Same attestation, wrong challenge: a normal response, REJECTED with a reason.
    let mut wrong = registration(PACKED_ES256);
    wrong.challenge = b"not the challenge".to_vec();
    let r = api.verify_registration(wrong).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Rejected as i32);
    assert!(r.reasons.iter().any(|x| x.code == "CEREMONY_MISMATCH"), "{:?}", r.reasons);

    // `none` attestation: valid statement, no trust.
    let r = api.verify_registration(registration(NONE_ES256)).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Rejected as i32);
    assert!(r.statement_valid && !r.trusted);
    assert_eq!(r.format, "none");
    assert!(r.reasons.iter().any(|x| x.code == "NO_ATTESTATION_TRUST"), "{:?}", r.reasons);

    // Malformed request: INVALID_ARGUMENT with google.rpc details.
    let err = api.verify_registration(VerifyRegistrationRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let details = tonic_types::StatusExt::get_error_details(&err);
    assert_eq!(details.bad_request().unwrap().field_violations[0].field, "attestation_object");

    // Over the request size limit: refused by the server before decoding.
    let mut huge = registration(PACKED_ES256);
    huge.attestation_object = vec![0; 2 * 1024 * 1024];
    let err = api.verify_registration(huge).await.unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");

    // ValidateAttestationChain with the vector's own x5c.
    let x5c = packed_x5c(&b64(&vector(PACKED_ES256)["attestationObject_b64url"]));
    let chain = api
        .validate_attestation_chain(ValidateAttestationChainRequest {
            authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
                vector(PACKED_ES256)["aaguid"].as_str().unwrap().to_uppercase(),
            )),
            x5c: x5c.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(chain.verdict, Verdict::Accepted as i32, "{:?}", chain.reasons);
    assert_eq!(chain.metadata_no, 42);
    assert!(chain.authenticator.as_ref().unwrap().verified);
    let unknown = api
        .validate_attestation_chain(ValidateAttestationChainRequest {
            authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
                "00000000-0000-0000-0000-000000000001".into(),
            )),
            x5c,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unknown.verdict, Verdict::Rejected as i32);
    assert!(unknown.reasons.iter().any(|x| x.code == "METADATA_NOT_FOUND"));

    // Lookups.
    let a = api
        .get_authenticator(GetAuthenticatorRequest {
            key: Some(get_authenticator_request::Key::KeyIdentifier(
                "0123456789ABCDEF0123456789ABCDEF01234567".into(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.authenticator.unwrap().current_status, "REVOKED");
    let err = api
        .get_authenticator(GetAuthenticatorRequest {
            key: Some(get_authenticator_request::Key::Aaguid(
                "00000000-0000-0000-0000-000000000001".into(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let page1 = api
        .list_authenticators(ListAuthenticatorsRequest { page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page1.authenticators.len(), page1.total_size), (1, 2));
    assert!(page1.authenticators[0].entry_json.is_empty());
    let page2 = api
        .list_authenticators(ListAuthenticatorsRequest {
            page_size: 1,
            page_token: page1.next_page_token.clone(),
            include_entry_json: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page2.authenticators.len(), 1);
    assert!(page2.next_page_token.is_empty());
    assert!(page2.authenticators[0].entry_json.contains("attestationCertificateKeyIdentifiers"));
    let revoked = api
        .list_authenticators(ListAuthenticatorsRequest {
            statuses: vec!["REVOKED".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.total_size, 1);

    // GetMetadataInfo.
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert!(info.loaded && !info.stale && info.revocation_checked);
    assert_eq!(info.no, 42);
    assert_eq!(info.entry_count, 2);
    assert_eq!(info.next_update, in_days(30).to_string());
    assert_eq!(info.source, env.server.url(BLOB_PATH));
    assert_eq!(info.jws_alg, "ES256");
    assert_eq!(
        info.anchor.unwrap().sha256,
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &env.root.der))
    );
    assert!(info.last_error.is_empty());
    assert!(info.serve_until.is_some());
    // The unknown member in the U2F entry is kept and counted, not fatal.
    assert!(
        info.unknown_fields.iter().any(|(k, n)| k.contains("futureField") && *n == 1),
        "{:?}",
        info.unknown_fields
    );

    // A newer BLOB; a refresh; the old page token is refused.
    env.serve_blob(43, env.blob(43, in_days(30), vec![w3c_entry("REVOKED")]));
    running.shared.trigger_refresh();
    for _ in 0..100 {
        let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
        if info.no == 43 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let err = api
        .list_authenticators(ListAuthenticatorsRequest {
            page_token: page1.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    // The authenticator is now REVOKED: the same attestation is rejected.
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert_eq!(r.metadata_no, 43);
    assert_eq!(r.verdict, Verdict::Rejected as i32);
    assert!(r.reasons.iter().any(|x| x.code == "STATUS_REFUSED"), "{:?}", r.reasons);

    // Reflection lists the service (v1).
    let services = reflection_services(running.grpc_addr.unwrap()).await;
    assert!(services.contains(&"mdsd.v1.AttestationService".to_string()), "{services:?}");
    assert!(services.contains(&"grpc.health.v1.Health".to_string()), "{services:?}");
    // … and carries the google.rpc error details mdsd's errors hold (grpcurl decodes them).
    for symbol in ["google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.Status"] {
        let file = reflection_file_of(running.grpc_addr.unwrap(), symbol).await;
        assert!(
            file.as_deref().is_some_and(|f| f.starts_with("google/rpc/")),
            "{symbol}: {file:?}"
        );
    }

    // An unknown, attacker-chosen `fmt`: REJECTED, and never a metrics label value.
    let mut odd = registration(NONE_ES256);
    let mut object: ciborium::Value = ciborium::from_reader(&odd.attestation_object[..]).unwrap();
    for (k, v) in object.as_map_mut().unwrap() {
        if k.as_text() == Some("fmt") {
            *v = ciborium::Value::Text("x-label-bomb-12345".into());
        }
    }
    odd.attestation_object.clear();
    ciborium::into_writer(&object, &mut odd.attestation_object).unwrap();
    let r = api.verify_registration(odd).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Rejected as i32);
    assert_eq!(r.format, "x-label-bomb-12345");
    assert!(r.reasons.iter().any(|x| x.code == "UNSUPPORTED_FORMAT"), "{:?}", r.reasons);

    // Admin endpoint.
    let admin = running.admin_addr.unwrap();
    let metrics = http_get(admin, "/metrics").await;
    assert!(metrics.contains("mdsd_blob_no 43"), "{metrics}");
    assert!(!metrics.contains("x-label-bomb"), "{metrics}");
    assert!(metrics.contains("format=\"unknown\",verdict=\"REJECTED\""), "{metrics}");
    assert!(metrics.contains("mdsd_verifications_total{rpc=\"VerifyRegistration\",format=\"packed\",verdict=\"ACCEPTED\"}"), "{metrics}");
    assert!(
        metrics.contains(
            "mdsd_grpc_requests_total{rpc=\"VerifyRegistration\",code=\"INVALID_ARGUMENT\"} 1"
        ),
        "{metrics}"
    );
    // Two accepted packed verifications of the same chain: the second hit the chain cache.
    assert!(metrics.contains("mdsd_chain_cache_hits_total "), "{metrics}");
    assert!(!metrics.contains("mdsd_chain_cache_hits_total 0\n"), "{metrics}");
    assert!(http_get(admin, "/readyz").await.starts_with("HTTP/1.1 200"));
    assert!(http_get(admin, "/livez").await.starts_with("HTTP/1.1 200"));

    running.shutdown().await;
}

/// Restart with the network down: the daemon serves the BLOB from its state directory.
#[tokio::test]
async fn restart_serves_from_the_state_dir_offline() {
    let env = MdsEnv::start("e2e-restart").await;
    env.serve_blob(7, env.blob(7, in_days(30), vec![w3c_entry("FIDO_CERTIFIED_L2")]));
    let running = start(env.config()).await.unwrap();
    let (_, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    running.shutdown().await;

    env.server.remove(BLOB_PATH);
    env.server.remove(mds_env::CA_CRL_PATH);
    env.server.remove(mds_env::ROOT_CRL_PATH);
    let running = start(env.config()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    // Restored before start() returns: serving at once.
    assert_eq!(health(&mut h, "").await, ServingStatus::Serving);
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Accepted as i32, "{:?}", r.reasons);
    assert_eq!(r.metadata_no, 7);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert!(info.source.starts_with("state-dir"), "{}", info.source);
    assert!(!info.last_error.is_empty() || info.last_refresh_at.is_none());
    running.shutdown().await;
}

/// A Unix-socket listener (sidecar deployments).
#[tokio::test]
async fn listens_on_a_unix_socket() {
    let env = MdsEnv::start("e2e-unix").await;
    env.serve_blob(3, env.blob(3, in_days(30), vec![w3c_entry("FIDO_CERTIFIED_L1")]));
    let socket = env.dir.join("mdsd.sock");
    let mut raw = env.raw_config();
    raw.listen = Some(format!("unix:{}", socket.display()));
    let running = start(raw.check().unwrap()).await.unwrap();
    assert!(running.grpc_addr.is_none());
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o660, "socket mode {mode:o}");
    }
    let path = socket.clone();
    let channel = tonic::transport::Endpoint::try_from("http://[::]:50051")
        .unwrap()
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let path = path.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                    tokio::net::UnixStream::connect(path).await?,
                ))
            }
        }))
        .await
        .unwrap();
    let mut h = HealthClient::new(channel.clone());
    wait_serving(&mut h).await;
    let mut api = AttestationServiceClient::new(channel);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert_eq!(info.no, 3);
    running.shutdown().await;
}

/// The x5c of a packed attestationObject (DER certificates).
fn packed_x5c(attestation_object: &[u8]) -> Vec<Vec<u8>> {
    let value: ciborium::Value = ciborium::from_reader(attestation_object).unwrap();
    let map = value.as_map().unwrap();
    let att_stmt =
        map.iter().find(|(k, _)| k.as_text() == Some("attStmt")).unwrap().1.as_map().unwrap();
    let x5c =
        att_stmt.iter().find(|(k, _)| k.as_text() == Some("x5c")).unwrap().1.as_array().unwrap();
    x5c.iter().map(|c| c.as_bytes().unwrap().clone()).collect()
}

async fn reflection_services(addr: std::net::SocketAddr) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.message().await.unwrap().unwrap();
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("{other:?}"),
    }
}

/// The name of the file reflection returns for `symbol`, `None` when it answers with an error.
async fn reflection_file_of(addr: std::net::SocketAddr, symbol: &str) -> Option<String> {
    use prost::Message;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(symbol.to_string())),
    };
    let mut stream = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    match stream.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::FileDescriptorResponse(files)) => {
            let first = files.file_descriptor_proto.first()?;
            prost_types::FileDescriptorProto::decode(&first[..]).ok().map(|f| f.name().to_string())
        }
        _ => None,
    }
}

/// Past nextUpdate: served (flagged stale) within the grace period; after it, fail closed with
/// FAILED_PRECONDITION and health NOT_SERVING — unless danger_serve_stale.
#[tokio::test]
async fn stale_grace_then_fail_closed() {
    let env = MdsEnv::start("e2e-stale").await;
    // nextUpdate ten days ago.
    env.serve_blob(5, env.blob(5, in_days(-10), vec![w3c_entry("FIDO_CERTIFIED_L1")]));

    // Grace 30 days: still served, flagged stale everywhere.
    let mut raw = env.raw_config();
    raw.stale_grace = Some("30d".into());
    let running = start(raw.check().unwrap()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Accepted as i32, "{:?}", r.reasons);
    assert!(r.metadata_stale);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert!(info.stale);
    let metrics = http_get(running.admin_addr.unwrap(), "/metrics").await;
    assert!(metrics.contains("mdsd_blob_stale 1"), "{metrics}");
    running.shutdown().await;

    // Grace 1 day: over. The BLOB is authentic and loaded, but nothing is judged against it.
    let mut raw = env.raw_config();
    raw.stale_grace = Some("1d".into());
    raw.state_dir = Some(env.dir.join("state-short-grace"));
    let running = start(raw.check().unwrap()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    let mut info = None;
    for _ in 0..100 {
        let i = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
        if i.loaded {
            info = Some(i);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let info = info.expect("BLOB never loaded");
    assert!(info.stale && info.serve_until.is_some());
    let err = api.verify_registration(registration(PACKED_ES256)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let details = tonic_types::StatusExt::get_error_details(&err);
    assert_eq!(details.error_info().unwrap().reason, "METADATA_STALE");
    assert_eq!(health(&mut h, "").await, ServingStatus::NotServing);
    assert!(http_get(running.admin_addr.unwrap(), "/readyz").await.starts_with("HTTP/1.1 503"));
    running.shutdown().await;

    // danger_serve_stale: served regardless, and the switch shows in the metrics.
    let mut raw = env.raw_config();
    raw.stale_grace = Some("1d".into());
    raw.danger_serve_stale = Some(true);
    raw.state_dir = Some(env.dir.join("state-danger"));
    let running = start(raw.check().unwrap()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert!(r.metadata_stale);
    let metrics = http_get(running.admin_addr.unwrap(), "/metrics").await;
    assert!(metrics.contains("mdsd_danger{switch=\"danger_serve_stale\"} 1"), "{metrics}");
    running.shutdown().await;
}

/// TLS, then mTLS: a client without a certificate is refused, one with a certificate from the
/// configured client CA gets through.
#[tokio::test]
async fn tls_and_mtls() {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};

    let env = MdsEnv::start("e2e-tls").await;
    env.serve_blob(9, env.blob(9, in_days(30), vec![w3c_entry("FIDO_CERTIFIED_L1")]));
    let (raw, pems) = env.mtls_raw_config();
    let running = start(raw.check().unwrap()).await.unwrap();
    let url = format!("https://localhost:{}", running.grpc_addr.unwrap().port());
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pems.server_ca_pem))
        .domain_name("localhost");

    // No client certificate: the handshake or the first call fails.
    let anonymous = Channel::from_shared(url.clone()).unwrap().tls_config(tls.clone()).unwrap();
    let refused = match anonymous.connect().await {
        Err(_) => true,
        Ok(channel) => HealthClient::new(channel)
            .check(HealthCheckRequest { service: String::new() })
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate got through mTLS");

    let with_cert = tls.identity(Identity::from_pem(&pems.client_cert, &pems.client_key));
    let channel =
        Channel::from_shared(url).unwrap().tls_config(with_cert).unwrap().connect().await.unwrap();
    let mut h = HealthClient::new(channel.clone());
    wait_serving(&mut h).await;
    let r = AttestationServiceClient::new(channel)
        .verify_registration(registration(PACKED_ES256))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.verdict, Verdict::Accepted as i32, "{:?}", r.reasons);
    running.shutdown().await;
}

/// The example scripts — thin users of the client packages: Python (examples/python over
/// clients/python, grpcio) and Node (examples/node over clients/node, @grpc/grpc-js) — call
/// VerifyRegistration on the real server, print the proto3 JSON shape, and print the reason
/// codes and details of an RPC error; `--help` works in both. Their dependencies are installed by .ci/run; each
/// is skipped with a notice when missing, except under CI or with MDSD_REQUIRE_EXAMPLE_CLIENTS=1,
/// where a missing client fails the test.
#[tokio::test]
async fn example_clients_python_and_node() {
    let required = std::env::var_os("CI").is_some()
        || std::env::var_os("MDSD_REQUIRE_EXAMPLE_CLIENTS").is_some();
    let root = env!("CARGO_MANIFEST_DIR");
    let python_ok = std::process::Command::new("python3")
        .args(["-c", "import mdsd_client"])
        .status()
        .is_ok_and(|s| s.success());
    let node_ok = std::path::Path::new(&format!("{root}/examples/node/node_modules/@mdsd/client"))
        .exists()
        && std::process::Command::new("node").arg("--version").status().is_ok_and(|s| s.success());
    let mut clients: Vec<(&str, String)> = Vec::new();
    for (ok, program, script) in [
        (python_ok, "python3", "examples/python/verify_registration.py"),
        (node_ok, "node", "examples/node/verify_registration.js"),
    ] {
        if ok {
            clients.push((program, format!("{root}/{script}")));
        } else {
            assert!(!required, "{program} client for {script} is not installed (see .ci/run)");
            eprintln!("SKIPPED {program} example client: dependencies not installed");
        }
    }
    if clients.is_empty() {
        return;
    }

    let env = MdsEnv::start("e2e-clients").await;
    env.serve_blob(21, env.blob(21, in_days(30), vec![w3c_entry("FIDO_CERTIFIED_L1")]));
    let running = start(env.config()).await.unwrap();
    let (_, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    let target = running.grpc_addr.unwrap().to_string();

    for (program, script) in clients {
        let run = |challenge: Option<&str>| {
            let v = vector(PACKED_ES256);
            let challenge = challenge
                .map(str::to_string)
                .unwrap_or_else(|| v["challenge_b64url"].as_str().unwrap().to_string());
            let args: Vec<String> = vec![
                script.clone(),
                "--target".into(),
                target.clone(),
                "--attestation-object".into(),
                v["attestationObject_b64url"].as_str().unwrap().into(),
                "--client-data-json".into(),
                v["clientDataJSON_b64url"].as_str().unwrap().into(),
                "--rp-id".into(),
                v["rpId"].as_str().unwrap().into(),
                "--origin".into(),
                v["origin"].as_str().unwrap().into(),
                "--challenge".into(),
                challenge,
            ];
            let program = program.to_string();
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(program).args(args).output().unwrap()
            })
        };
        let out = run(None).await.unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{program}: {stdout}\n{stderr}");
        let response: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(response["verdict"], "ACCEPTED", "{program}");
        assert_eq!(response["format"], "packed", "{program}");
        // The proto3 JSON mapping: uint64 a string, enums by name, lowerCamelCase.
        assert_eq!(response["metadataNo"], "21", "{program}");
        assert_eq!(response["credentialKind"], "SYNCED", "{program}");
        assert_eq!(response["aaguid"], vector(PACKED_ES256)["aaguid"], "{program}");

        let out = run(Some("AAAA")).await.unwrap();
        assert_eq!(out.status.code(), Some(1), "{program}");
        let response: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(response["verdict"], "REJECTED", "{program}");
        let reasons = response["reasons"].as_array().unwrap();
        assert!(reasons.iter().any(|r| r["code"] == "CEREMONY_MISMATCH"), "{program}: {reasons:?}");

        // An RPC error: exit 2, the code, the ErrorInfo reason and the violated field on one
        // line, then the google.rpc.Status with its details as JSON.
        let args = vec![
            script.clone(),
            "--target".into(),
            target.clone(),
            "--attestation-object".into(),
            String::new(),
            "--client-data-json".into(),
            "e30".into(),
        ];
        let program_owned = program.to_string();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(program_owned).args(args).output().unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{program}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(
                "error: INVALID_ARGUMENT reason=INVALID_ARGUMENT field='attestation_object'"
            ),
            "{program}: {stderr}"
        );
        assert!(
            stderr.contains("type.googleapis.com/google.rpc.BadRequest"),
            "{program}: {stderr}"
        );

        let help = std::process::Command::new(program).args([&script, "--help"]).output().unwrap();
        assert_eq!(help.status.code(), Some(0), "{program} --help");
        assert!(String::from_utf8_lossy(&help.stdout).contains("--attestation-object"));
    }
    running.shutdown().await;
}

/// `mdsd health` (the container/Kubernetes probe) against TCP and Unix-socket listeners.
#[tokio::test]
async fn health_probe_command() {
    let probe = |target: String, service: &str| {
        let service = service.to_string();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_mdsd"))
                .args(["health", "--target", &target, "--service", &service, "--timeout", "2s"])
                .output()
                .unwrap()
        })
    };
    let env = MdsEnv::start("e2e-probe").await;
    let socket = env.dir.join("probe.sock");
    let mut raw = env.raw_config();
    raw.listen = Some(format!("unix:{}", socket.display()));
    let running = start(raw.check().unwrap()).await.unwrap();
    let target = format!("unix:{}", socket.display());
    // No BLOB: NOT_SERVING, exit 1.
    let out = probe(target.clone(), "").await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "NOT_SERVING");
    // … but alive.
    let live = tokio::task::spawn_blocking({
        let target = target.clone();
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_mdsd"))
                .args(["health", "--live", "--target", &target])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert_eq!(live.status.code(), Some(0));

    env.serve_blob(2, env.blob(2, in_days(30), vec![w3c_entry("FIDO_CERTIFIED_L1")]));
    running.shared.trigger_refresh();
    let mut serving = false;
    for _ in 0..100 {
        let out = probe(target.clone(), "mdsd.v1.AttestationService").await.unwrap();
        if out.status.code() == Some(0) {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "SERVING");
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(serving, "probe never saw SERVING");
    running.shutdown().await;
    assert!(!socket.exists(), "socket file left behind after shutdown");

    // Nothing listening: exit 3 (unreachable, apart from NOT_SERVING), UNREACHABLE.
    let out = probe(target, "").await.unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("UNREACHABLE"));
}

/// An operator-configured attestation anchor (`attestation_roots`) vouches for a chain whose
/// authenticator has no metadata entry, as in the core's trust step.
#[tokio::test]
async fn operator_attestation_anchor_without_metadata_entry() {
    let env = MdsEnv::start("e2e-extra-anchor").await;
    env.serve_blob(4, env.blob(4, in_days(30), vec![]));
    let mut raw = env.raw_config();
    raw.attestation_roots =
        vec![shared::path("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der")];
    let running = start(raw.check().unwrap()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    let x5c = packed_x5c(&b64(&vector(PACKED_ES256)["attestationObject_b64url"]));
    let chain = api
        .validate_attestation_chain(ValidateAttestationChainRequest {
            authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
                vector(PACKED_ES256)["aaguid"].as_str().unwrap().into(),
            )),
            x5c,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(chain.verdict, Verdict::Accepted as i32, "{:?}", chain.reasons);
    assert!(chain.authenticator.is_none());
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert_eq!(
        r.trusted, chain.trusted,
        "VerifyRegistration and ValidateAttestationChain disagree"
    );
    running.shutdown().await;

    // The same chain, while the metadata lists the claimed AAGUID with a root of its own: the
    // operator anchor must not vouch for the listed model (AAGUID spoofing through a platform
    // root). Both RPCs refuse.
    let mut listed = w3c_entry("FIDO_CERTIFIED_L1");
    let other_root = shared::read("attestations/roots/tweag_webauthn__Apple_WebAuthn_Root_CA.crt");
    listed["metadataStatement"]["attestationRootCertificates"] =
        json!([STANDARD.encode(other_root)]);
    env.serve_blob(5, env.blob(5, in_days(30), vec![listed]));
    let mut raw = env.raw_config();
    raw.attestation_roots =
        vec![shared::path("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der")];
    let running = start(raw.check().unwrap()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    // The snapshot (no 4) serves first; wait for the refresh to no 5.
    let waited = std::time::Instant::now();
    while running.shared.current().map(|c| c.blob.no) != Some(5) {
        assert!(waited.elapsed() < Duration::from_secs(30), "{:?}", running.shared.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let chain = api
        .validate_attestation_chain(ValidateAttestationChainRequest {
            authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
                vector(PACKED_ES256)["aaguid"].as_str().unwrap().into(),
            )),
            x5c: packed_x5c(&b64(&vector(PACKED_ES256)["attestationObject_b64url"])),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(chain.verdict, Verdict::Rejected as i32, "{:?}", chain.reasons);
    assert!(!chain.trusted);
    let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
    assert!(!r.trusted, "{:?}", r.reasons);
    running.shutdown().await;
}

/// Passkey profiles from the `[policy]` section: VerifyRegistration answers, beside the
/// attestation verdict, whether the passkey is allowed for the request's `user_groups`.
#[tokio::test]
async fn passkey_profiles_decide_per_user_groups() {
    let env = MdsEnv::start("e2e-policy").await;
    env.serve_blob(6, env.blob(6, in_days(30), vec![w3c_entry("FIDO_CERTIFIED_L1")]));
    let policy = mdsd::daemon::config::RawConfig::from_toml_str(TWO_PROFILES_TOML).unwrap().policy;
    let mut raw = env.raw_config();
    raw.policy = policy;
    let running = start(raw.check().unwrap()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    let kind_of_vector = {
        let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
        r.credential_kind
    };
    let decide = |groups: &[&str]| {
        let mut req = registration(PACKED_ES256);
        req.user_groups = groups.iter().map(|g| g.to_string()).collect();
        req
    };

    let r = api.verify_registration(decide(&["staff"])).await.unwrap().into_inner();
    assert_eq!(r.verdict, Verdict::Accepted as i32);
    let policy = r.policy.unwrap();
    assert!(policy.allowed, "{policy:?}");
    assert_eq!(policy.profile, "workforce");

    let r = api.verify_registration(decide(&["admins"])).await.unwrap().into_inner();
    let policy = r.policy.unwrap();
    if kind_of_vector == CredentialKind::Synced as i32 {
        assert!(!policy.allowed, "{policy:?}");
        let outcome = policy.outcomes.iter().find(|o| o.profile == "privileged").unwrap();
        assert!(
            outcome.failures.iter().any(|f| f.code == "PASSKEY_TYPE_NOT_ALLOWED"),
            "{outcome:?}"
        );
    } else {
        assert!(policy.allowed, "{policy:?}");
    }

    let r = api.verify_registration(decide(&[])).await.unwrap().into_inner();
    let policy = r.policy.unwrap();
    assert!(!policy.allowed);
    assert!(policy.failures.iter().any(|f| f.code == "NO_PROFILE_IN_SCOPE"), "{policy:?}");
    assert_eq!(r.attestation_trust, "metadata");

    // Sign-in: passkey type is read from this assertion's BE flag.
    let sign_in = |flags: u32| EvaluateAuthenticationRequest {
        aaguid: vector(PACKED_ES256)["aaguid"].as_str().unwrap().into(),
        flags,
        registration_trust: "metadata".into(),
        user_groups: vec!["admins".into()],
        ..Default::default()
    };
    let device_bound = api.evaluate_authentication(sign_in(0x05)).await.unwrap().into_inner();
    assert!(device_bound.policy.as_ref().unwrap().allowed, "{device_bound:?}");
    assert_eq!(device_bound.metadata_no, 6);
    let synced = api.evaluate_authentication(sign_in(0x1d)).await.unwrap().into_inner();
    let policy = synced.policy.unwrap();
    assert!(!policy.allowed);
    assert!(
        policy
            .outcomes
            .iter()
            .flat_map(|o| &o.failures)
            .any(|f| f.code == "PASSKEY_TYPE_NOT_ALLOWED"),
        "{policy:?}"
    );
    let err = api.evaluate_authentication(sign_in(0x100)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    running.shutdown().await;
}

/// Untrusted chain outcomes are cached (a repeated call costs no path building), keyed by the
/// anchor set: a refreshed BLOB that now lists the right root turns the cached refusal into
/// ACCEPTED at once for both RPCs, and a BLOB that drops it again brings the refusal back.
#[tokio::test]
async fn cached_chain_outcomes_follow_the_trust_store_swap() {
    let env = MdsEnv::start("e2e-cache-swap").await;
    let other_root = shared::read("attestations/roots/tweag_webauthn__Apple_WebAuthn_Root_CA.crt");
    let mut wrong = w3c_entry("FIDO_CERTIFIED_L1");
    wrong["metadataStatement"]["attestationRootCertificates"] =
        json!([STANDARD.encode(&other_root)]);
    env.serve_blob(7, env.blob(7, in_days(30), vec![wrong.clone()]));
    let running = start(env.config()).await.unwrap();
    let (mut api, mut h) = client(&running).await;
    wait_serving(&mut h).await;
    let chain_request = || ValidateAttestationChainRequest {
        authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
            vector(PACKED_ES256)["aaguid"].as_str().unwrap().into(),
        )),
        x5c: packed_x5c(&b64(&vector(PACKED_ES256)["attestationObject_b64url"])),
    };
    let mut both = async |expect: bool| {
        for _ in 0..2 {
            let r = api.verify_registration(registration(PACKED_ES256)).await.unwrap().into_inner();
            assert_eq!(r.trusted, expect, "{:?}", r.reasons);
            let c = api.validate_attestation_chain(chain_request()).await.unwrap().into_inner();
            assert_eq!(c.trusted, expect, "{:?}", c.reasons);
        }
    };
    both(false).await;
    // The refusals after the first of each RPC came from the cache (no path built again).
    let metric = |name: &str| -> u64 {
        let text = running.shared.render_metrics(time::OffsetDateTime::now_utc());
        let line = text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(metric("mdsd_chain_cache_hits_total") >= 3, "untrusted outcome not cached");
    let refresh_to = async |no: u64, entry: Value| {
        env.serve_blob(no, env.blob(no, in_days(30), vec![entry]));
        running.shared.trigger_refresh();
        let waited = std::time::Instant::now();
        while running.shared.current().map(|c| c.blob.no) != Some(no) {
            assert!(waited.elapsed() < Duration::from_secs(30), "{:?}", running.shared.status());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    refresh_to(8, w3c_entry("FIDO_CERTIFIED_L1")).await;
    both(true).await;
    refresh_to(9, wrong).await;
    both(false).await;
    running.shutdown().await;
}
