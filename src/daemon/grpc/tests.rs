//! The service end to end without a socket: where each RPC does its work — on the worker when
//! the cost is bounded (cached chain outcomes, `none`, small batches), on the bounded blocking
//! pool otherwise — and the answers that depend on the whole path (issue #11).

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use ciborium::Value;

use super::*;
use crate::daemon::metrics::Metrics;
use crate::daemon::proto;
use crate::daemon::state::{loaded_for_tests, StalePolicy};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata");
const YUBIKEY: &str = "java-webauthn-server-packed-RealExamples-YubiKey5Nfc";
const NONE: &str = "w3c-none-es256";
/// Long enough for any inline answer in a debug build on a loaded machine; a call
/// waiting for a slow-path permit never ends.
const PATIENCE: Duration = Duration::from_secs(5);
const WAIT: Duration = Duration::from_millis(300);

fn vector(id: &str) -> serde_json::Value {
    let path = format!("{SHARED}/attestations/vectors.json");
    let all: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    all.into_iter().find(|v| v["id"] == id).unwrap()
}

fn b64(v: &serde_json::Value, field: &str) -> Vec<u8> {
    let s = v[field].as_str().unwrap().trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn registration(id: &str) -> proto::VerifyRegistrationRequest {
    let v = vector(id);
    proto::VerifyRegistrationRequest {
        attestation_object: b64(&v, "attestationObject_b64url"),
        client_data_json: b64(&v, "clientDataJSON_b64url"),
        ..Default::default()
    }
}

fn x5c(id: &str) -> Vec<Vec<u8>> {
    let object: Value =
        ciborium::from_reader(&b64(&vector(id), "attestationObject_b64url")[..]).unwrap();
    let top = object.as_map().unwrap();
    let stmt = top.iter().find(|(k, _)| k.as_text() == Some("attStmt")).unwrap();
    let x5c = stmt.1.as_map().unwrap().iter().find(|(k, _)| k.as_text() == Some("x5c"));
    x5c.unwrap().1.as_array().unwrap().iter().map(|c| c.as_bytes().unwrap().clone()).collect()
}

/// A service whose BLOB lists the YubiKey 5 NFC (its AAGUID, Yubico's U2F root).
fn service() -> Service {
    let root = std::fs::read(format!(
        "{SHARED}/attestations/roots/mds3-2024-12-02__Yubico_U2F_Root_CA_Serial_457200631.der"
    ))
    .unwrap();
    let aaguid = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
    let json = serde_json::json!({"no": 3, "nextUpdate": "2099-01-01", "entries": [{
        "aaguid": aaguid,
        "metadataStatement": {
            "aaguid": aaguid, "description": "YubiKey 5 NFC", "authenticatorVersion": 1,
            "protocolFamily": "fido2", "schema": 3, "attestationTypes": ["basic_full"],
            "attestationRootCertificates":
                [base64::engine::general_purpose::STANDARD.encode(root)],
        },
        "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
        "timeOfLastStatusChange": "2020-01-01",
    }]});
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared::new(
        StalePolicy { grace: Duration::from_secs(86_400), serve_stale: false },
        metrics.clone(),
    ));
    let now = OffsetDateTime::now_utc();
    shared.install(loaded_for_tests(&json.to_string(), now), now);
    let policy = Arc::new(PolicyHolder::new(None, None, metrics));
    Service::new(shared, Arc::new(Verifier::default()), policy)
}

/// A service whose BLOB lists the YubiKey 5 FIPS Series (AAGUID, Yubico's U2F root) and
/// a U2F entry for the attestation certificate of a real YubiKey NEO (key identifier,
/// `status`): one vendor root, two models.
fn u2f_service(status: &str) -> Service {
    let root = std::fs::read(format!(
        "{SHARED}/attestations/roots/mds3-2024-12-02__Yubico_U2F_Root_CA_Serial_457200631.der"
    ))
    .unwrap();
    let root = base64::engine::general_purpose::STANDARD.encode(root);
    let json = serde_json::json!({"no": 4, "nextUpdate": "2099-01-01", "entries": [{
        "aaguid": FIPS,
        "metadataStatement": {
            "aaguid": FIPS, "description": "YubiKey 5 FIPS Series",
            "authenticatorVersion": 1, "protocolFamily": "fido2", "schema": 3,
            "attestationTypes": ["basic_full"], "attestationRootCertificates": [root],
        },
        "statusReports": [{"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2020-01-01"}],
    }, {
        "attestationCertificateKeyIdentifiers": [neo_key_id()],
        "metadataStatement": {
            "description": "YubiKey NEO", "authenticatorVersion": 1,
            "protocolFamily": "u2f", "schema": 3,
            "attestationTypes": ["basic_full"], "attestationRootCertificates": [root],
        },
        "statusReports": [{"status": status, "effectiveDate": "2020-01-01"}],
    }]});
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared::new(
        StalePolicy { grace: Duration::from_secs(86_400), serve_stale: false },
        metrics.clone(),
    ));
    let now = OffsetDateTime::now_utc();
    shared.install(loaded_for_tests(&json.to_string(), now), now);
    let policy = Arc::new(PolicyHolder::new(None, None, metrics));
    Service::new(shared, Arc::new(Verifier::default()), policy)
}

const NEO: &str = "java-webauthn-server-fido-u2f-RealExamples-YubiKeyNeo";
const FIPS: &str = "73bb0cd4-e502-49b8-9c6f-b59445bf720b";

fn neo_key_id() -> String {
    crate::x509::Cert::from_der(&x5c(NEO)[0]).unwrap().fido_key_identifier()
}

/// Issue #11 over the API: the NEO registration with its unsigned AAGUID rewritten to
/// the FIPS model's is refused (not vouched for as that model), the genuine one names
/// the key identifier to store, CheckCredentials with that key follows the key's own
/// entry, and ValidateAttestationChain refuses the NEO chain under the FIPS AAGUID.
#[tokio::test]
async fn a_rewritten_fido_u2f_aaguid_is_refused_and_the_key_identifier_is_stored() {
    use proto::provenance::MetadataKey;
    let svc = u2f_service("FIDO_CERTIFIED");
    let genuine = svc.verify_registration(Request::new(registration(NEO))).await.unwrap();
    let genuine = genuine.into_inner();
    assert!(genuine.trusted, "{:?}", genuine.reasons);
    assert_eq!(genuine.authenticator.as_ref().unwrap().description, "YubiKey NEO");
    let p = genuine.provenance.unwrap();
    assert_eq!(p.coverage, "u2f_registration");
    assert_eq!(p.entry_selected_by, "key_identifier");
    assert_eq!(p.metadata_key, Some(MetadataKey::KeyIdentifier(neo_key_id())));
    for fact in ["aaguid", "flags.user_verified", "flags.backup_eligible", "sign_count"] {
        assert!(p.claimed.iter().any(|c| c == fact), "{fact} not claimed: {:?}", p.claimed);
    }

    let mut spoofed = registration(NEO);
    let mut object: Value = ciborium::from_reader(&spoofed.attestation_object[..]).unwrap();
    for (k, v) in object.as_map_mut().unwrap() {
        if k.as_text() == Some("authData") {
            let auth = v.as_bytes_mut().unwrap();
            auth[37..53].copy_from_slice(uuid::Uuid::parse_str(FIPS).unwrap().as_bytes());
            auth[32] |= 0x04;
        }
    }
    spoofed.attestation_object.clear();
    ciborium::into_writer(&object, &mut spoofed.attestation_object).unwrap();
    let r = svc.verify_registration(Request::new(spoofed)).await.unwrap().into_inner();
    assert_eq!(r.verdict, proto::Verdict::Rejected as i32);
    assert!(r.statement_valid);
    assert!(r.reasons.iter().any(|x| x.code == "UNSIGNED_FIELD"), "{:?}", r.reasons);
    assert_ne!(r.authenticator.map(|a| a.description).as_deref(), Some("YubiKey 5 FIPS Series"));
    assert_eq!(r.provenance.unwrap().metadata_key, None);

    // The stored key identifier re-judged by CheckCredentials: trusted today; REVOKED
    // once the key's own entry is.
    let check = || {
        Request::new(proto::CheckCredentialsRequest {
            credentials: vec![proto::RegisteredCredential {
                authenticator: Some(proto::registered_credential::Authenticator::KeyIdentifier(
                    neo_key_id(),
                )),
                ..Default::default()
            }],
            ..Default::default()
        })
    };
    let ok = svc.check_credentials(check()).await.unwrap().into_inner();
    assert!(ok.results[0].trusted);
    let revoked = u2f_service("REVOKED");
    let later = revoked.check_credentials(check()).await.unwrap().into_inner();
    assert!(!later.results[0].trusted);
    assert_eq!(later.results[0].reasons[0].code, "REVOKED");

    // The NEO chain presented under the FIPS AAGUID.
    let req = proto::ValidateAttestationChainRequest {
        authenticator: Some(proto::validate_attestation_chain_request::Authenticator::Aaguid(
            FIPS.into(),
        )),
        x5c: x5c(NEO),
    };
    let r = svc.validate_attestation_chain(Request::new(req)).await.unwrap().into_inner();
    assert!(!r.trusted);
    assert_eq!(r.reasons[0].code, "ENTRY_MISMATCH", "{:?}", r.reasons);
}

/// Takes every slow-path permit (the pool is busy).
async fn occupy(svc: &Service) -> tokio::sync::SemaphorePermit<'_> {
    svc.offload.slow.acquire_many(u32::try_from(slow_path_permits()).unwrap()).await.unwrap()
}

fn counts(svc: &Service) -> (u64, u64) {
    let o = svc.offload_stats();
    (o.inline.load(Ordering::Relaxed), o.offloaded.load(Ordering::Relaxed))
}

async fn verify(svc: &Service, id: &str, within: Duration) -> Option<i32> {
    let call = svc.verify_registration(Request::new(registration(id)));
    let r = tokio::time::timeout(within, call).await.ok()?;
    Some(r.unwrap().into_inner().verdict)
}

#[tokio::test]
async fn verify_registration_builds_chains_only_on_the_bounded_pool() {
    let svc = service();
    let accepted = Some(proto::Verdict::Accepted as i32);
    // First sight of the chain, the pool busy: the call waits for a permit (it is not
    // verified on the worker)...
    let busy = occupy(&svc).await;
    assert_eq!(verify(&svc, YUBIKEY, WAIT).await, None, "a chain build ran inline");
    assert_eq!(counts(&svc), (0, 0));
    // ...and runs once a permit is free.
    drop(busy);
    assert_eq!(verify(&svc, YUBIKEY, PATIENCE).await, accepted);
    assert_eq!(counts(&svc), (0, 1));
    // Cached now: answered on the worker even with the pool busy, same verdict.
    let _busy = occupy(&svc).await;
    assert_eq!(verify(&svc, YUBIKEY, PATIENCE).await, accepted);
    assert_eq!(counts(&svc), (1, 1));
    // `none` builds no chain: inline.
    let rejected = Some(proto::Verdict::Rejected as i32);
    assert_eq!(verify(&svc, NONE, PATIENCE).await, rejected);
    assert_eq!(counts(&svc), (2, 1));
}

#[tokio::test]
async fn validate_attestation_chain_builds_only_on_the_bounded_pool() {
    let svc = service();
    let aaguid = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
    let request = || {
        Request::new(proto::ValidateAttestationChainRequest {
            authenticator: Some(proto::validate_attestation_chain_request::Authenticator::Aaguid(
                aaguid.clone(),
            )),
            x5c: x5c(YUBIKEY),
        })
    };
    let busy = occupy(&svc).await;
    let call = svc.validate_attestation_chain(request());
    assert!(tokio::time::timeout(WAIT, call).await.is_err(), "a chain build ran inline");
    drop(busy);
    let r = svc.validate_attestation_chain(request()).await.unwrap().into_inner();
    assert!(r.trusted, "{:?}", r.reasons);
    assert_eq!(r.metadata_no, 3);
    assert_eq!(r.authenticator.unwrap().description, "YubiKey 5 NFC");
    assert_eq!(counts(&svc), (0, 1));
    let _busy = occupy(&svc).await;
    let call = svc.validate_attestation_chain(request());
    let cached = tokio::time::timeout(PATIENCE, call).await.unwrap().unwrap().into_inner();
    assert!(cached.trusted);
    assert_eq!(cached.anchor, r.anchor);
    assert_eq!(counts(&svc), (1, 1));
}

#[tokio::test]
async fn check_credentials_sends_only_large_batches_to_the_pool() {
    let svc = service();
    let aaguid = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
    let batch = |n: usize| {
        let one = proto::RegisteredCredential {
            authenticator: Some(proto::registered_credential::Authenticator::Aaguid(
                aaguid.clone(),
            )),
            ..Default::default()
        };
        Request::new(proto::CheckCredentialsRequest {
            credentials: vec![one; n],
            ..Default::default()
        })
    };
    let busy = occupy(&svc).await;
    let call = svc.check_credentials(batch(INLINE_CREDENTIALS));
    let small = tokio::time::timeout(PATIENCE, call).await.unwrap().unwrap().into_inner();
    assert_eq!(small.results.len(), INLINE_CREDENTIALS);
    assert!(small.results.iter().all(|r| r.trusted));
    assert_eq!(counts(&svc), (1, 0));
    let call = svc.check_credentials(batch(INLINE_CREDENTIALS + 1));
    assert!(tokio::time::timeout(WAIT, call).await.is_err(), "a large batch ran inline");
    drop(busy);
    let large = svc.check_credentials(batch(INLINE_CREDENTIALS + 1)).await.unwrap();
    assert_eq!(large.into_inner().results.len(), INLINE_CREDENTIALS + 1);
    assert_eq!(counts(&svc), (1, 1));
}

const ICLOUD_KEYCHAIN: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const GOOGLE_PASSWORD_MANAGER: &str = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";

fn get(aaguid: &str) -> Request<proto::GetAuthenticatorRequest> {
    Request::new(proto::GetAuthenticatorRequest {
        key: Some(proto::get_authenticator_request::Key::Aaguid(aaguid.into())),
    })
}

/// Issue #15: a passkey provider that is not in the MDS is named, marked claimed, instead of
/// NOT_FOUND; an MDS entry keeps its answer; an unlisted AAGUID is still NOT_FOUND.
#[tokio::test]
async fn get_authenticator_names_a_passkey_provider_as_claimed() {
    let svc = service();
    let r = svc.get_authenticator(get(ICLOUD_KEYCHAIN)).await.unwrap().into_inner();
    assert!(r.authenticator.is_none());
    let p = r.passkey_provider.unwrap();
    assert_eq!(p.name, "Apple Passwords"); // iCloud Keychain, as Apple now names it
    assert_eq!(p.provenance, "claimed");
    assert!(p.list_source.starts_with("bundled: "), "{}", p.list_source);
    assert_eq!(r.metadata_no, 3);

    let yubikey = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
    let r = svc.get_authenticator(get(&yubikey)).await.unwrap().into_inner();
    assert_eq!(r.authenticator.unwrap().description, "YubiKey 5 NFC");
    assert_eq!(r.passkey_provider, None);

    let unknown = svc.get_authenticator(get("00000000-0000-0000-0000-0000000000aa")).await;
    assert_eq!(unknown.unwrap_err().code(), tonic::Code::NotFound);
}

/// Issue #15: a synced passkey (`none` attestation, BE=1, BS=1) carrying Google Password
/// Manager's AAGUID gets the provider's name, marked claimed, and stays untrusted; a model
/// the list does not name gets none.
#[tokio::test]
async fn verify_registration_names_the_claimed_passkey_provider() {
    use mdsd_test_support::attestation::{make, Fmt, Opts, FLAGS_DEFAULT};
    let svc = service();
    let opts = Opts {
        aaguid: uuid::Uuid::parse_str(GOOGLE_PASSWORD_MANAGER).unwrap(),
        flags: FLAGS_DEFAULT | 0x08 | 0x10,
        ..Opts::default()
    };
    let made = make(Fmt::None, &opts, None);
    let req = proto::VerifyRegistrationRequest {
        attestation_object: made.attestation_object,
        client_data_json: made.client_data_json,
        ..Default::default()
    };
    let r = svc.verify_registration(Request::new(req)).await.unwrap().into_inner();
    assert_eq!(r.verdict, proto::Verdict::Rejected as i32);
    assert!(r.statement_valid);
    assert_eq!(r.credential_kind, proto::CredentialKind::Synced as i32);
    let p = r.passkey_provider.unwrap();
    assert_eq!((p.name.as_str(), p.provenance.as_str()), ("Google Password Manager", "claimed"));
    assert!(r.provenance.unwrap().claimed.iter().any(|c| c == "aaguid"));

    let r = svc.verify_registration(Request::new(registration(YUBIKEY))).await.unwrap();
    assert_eq!(r.into_inner().passkey_provider, None);
}

#[tokio::test]
async fn metadata_info_describes_the_passkey_provider_list() {
    let svc = service();
    let info = svc.get_metadata_info(Request::new(proto::GetMetadataInfoRequest {})).await;
    let p = info.unwrap().into_inner().passkey_providers.unwrap();
    assert_eq!(p.names, 52);
    assert!(p.source.starts_with("bundled: "));
    assert_eq!((p.configured.as_str(), p.source_empty, p.skipped), ("", false, 0));
    assert_eq!(p.sha256.len(), 64);
    let text = svc.shared.render_metrics(OffsetDateTime::now_utc());
    assert!(text.contains("\nmdsd_passkey_provider_names 52\n"), "{text}");
    // A retired (empty) list read from the configured source is reported, not served.
    svc.shared.providers.apply(
        "https://example.org/aaguid.json",
        Ok(b"{}".to_vec()),
        &svc.shared.metrics,
        OffsetDateTime::now_utc(),
    );
    let info = svc.get_metadata_info(Request::new(proto::GetMetadataInfoRequest {})).await;
    let p = info.unwrap().into_inner().passkey_providers.unwrap();
    assert!(p.source_empty);
    assert_eq!(p.names, 52);
    assert_eq!(p.configured, "https://example.org/aaguid.json");
}

/// Issue #15: a BLOB whose legalHeader differs from the accepted one is served and reported
/// (GetMetadataInfo, metric); the accepted one is not.
#[tokio::test]
async fn a_changed_legal_header_is_reported() {
    const V1: &str = "Retrieval and use of this BLOB indicates acceptance of the agreement v1.";
    const V2: &str = "Retrieval and use of this BLOB indicates acceptance of the agreement v2.";
    let sha = |s: &str| hex::encode(ring::digest::digest(&ring::digest::SHA256, s.as_bytes()));
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared::new(
        StalePolicy { grace: Duration::from_secs(86_400), serve_stale: false },
        metrics.clone(),
    ));
    shared.accepted_legal_header.set(sha(V1)).unwrap();
    let policy = Arc::new(PolicyHolder::new(None, None, metrics));
    let svc = Service::new(shared.clone(), Arc::new(Verifier::default()), policy);
    let blob = |no: u64, header: &str| {
        let json = serde_json::json!({"legalHeader": header, "no": no,
            "nextUpdate": "2099-01-01", "entries": []});
        loaded_for_tests(&json.to_string(), OffsetDateTime::now_utc())
    };
    let info = || async {
        let r = svc.get_metadata_info(Request::new(proto::GetMetadataInfoRequest {})).await;
        r.unwrap().into_inner()
    };
    let gauge = |shared: &Shared| {
        let text = shared.render_metrics(OffsetDateTime::now_utc());
        text.lines().find(|l| l.starts_with("mdsd_blob_legal_header_changed ")).unwrap().to_string()
    };

    shared.install(blob(1, V1), OffsetDateTime::now_utc());
    let i = info().await;
    assert_eq!((i.legal_header_sha256.as_str(), i.legal_header_changed), (sha(V1).as_str(), false));
    assert_eq!(i.accepted_legal_header_sha256, sha(V1));
    assert_eq!(gauge(&shared), "mdsd_blob_legal_header_changed 0");

    shared.install(blob(2, V2), OffsetDateTime::now_utc());
    let i = info().await;
    assert!(i.loaded && i.legal_header_changed);
    assert_eq!((i.no, i.legal_header.as_str()), (2, V2));
    assert_eq!(i.legal_header_sha256, sha(V2));
    assert_eq!(gauge(&shared), "mdsd_blob_legal_header_changed 1");

    // Without an accepted header nothing is compared.
    let i = service().get_metadata_info(Request::new(proto::GetMetadataInfoRequest {})).await;
    let i = i.unwrap().into_inner();
    assert!(!i.legal_header_changed);
    assert!(i.accepted_legal_header_sha256.is_empty());
    assert_eq!(i.legal_header_sha256.len(), 64);
}
