//! Request checks and response conversion: every malformed field named, tokens and sources.

use super::*;
use crate::attestation::RegistrationInput;
use crate::daemon::proto;
use time::OffsetDateTime;

fn request() -> proto::VerifyRegistrationRequest {
    proto::VerifyRegistrationRequest {
        attestation_object: vec![0xa0],
        client_data_json: b"{}".to_vec(),
        ..Default::default()
    }
}

#[test]
fn expectations_only_when_asked_for() {
    assert_eq!(expectations(&request()).unwrap(), None);
    let mut req = request();
    req.rp_id = "example.org".into();
    let e = expectations(&req).unwrap().unwrap();
    assert_eq!(e.rp_id.as_deref(), Some("example.org"));
    assert!(e.require_user_presence);
    assert!(!e.require_user_verification);
    assert_eq!(e.challenge, None);
    assert_eq!(e.top_origins, None);
    let mut req = request();
    req.origins = vec!["https://example.org".into()];
    assert_eq!(expectations(&req).unwrap().unwrap().top_origins, Some(vec![]));
    req.top_origins = vec!["https://top.example".into()];
    assert_eq!(
        expectations(&req).unwrap().unwrap().top_origins,
        Some(vec!["https://top.example".to_string()])
    );
    let mut req = request();
    req.require_user_verification = Some(true);
    req.challenge = vec![1, 2, 3];
    let e = expectations(&req).unwrap().unwrap();
    assert!(e.require_user_verification);
    assert_eq!(e.challenge, Some(vec![1, 2, 3]));
}

#[test]
fn malformed_registration_requests_name_the_field() {
    let field = |req: &proto::VerifyRegistrationRequest| match expectations(req) {
        Err(ApiError::InvalidArgument { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let mut req = request();
    req.attestation_object.clear();
    assert_eq!(field(&req), "attestation_object");
    let mut req = request();
    req.client_data_json.clear();
    assert_eq!(field(&req), "client_data_json");
    let mut req = request();
    req.client_data_json = vec![b' '; 64 * 1024 + 1];
    assert_eq!(field(&req), "client_data_json");
    let mut req = request();
    req.origins = vec!["https://a.example".into(), String::new()];
    assert_eq!(field(&req), "origins[1]");
}

#[test]
fn lookup_keys_are_checked() {
    use proto::get_authenticator_request::Key;
    let key = |k: Key| lookup_key(proto::GetAuthenticatorRequest { key: Some(k) });
    assert_eq!(
        key(Key::Aaguid("CB69481E-8FF7-4039-93EC-0A2729A154A8".into())).unwrap(),
        EntryKey::Aaguid("cb69481e-8ff7-4039-93ec-0a2729a154a8".parse().unwrap())
    );
    assert!(key(Key::Aaguid("cb69481e8ff7403993ec0a2729a154a8".into())).is_err());
    assert!(key(Key::Aaguid("{cb69481e-8ff7-4039-93ec-0a2729a154a8}".into())).is_err());
    assert_eq!(
        key(Key::KeyIdentifier("ABCDEF0123456789ABCDEF0123456789ABCDEF01".into())).unwrap(),
        EntryKey::KeyIdentifier("abcdef0123456789abcdef0123456789abcdef01".into())
    );
    assert!(key(Key::KeyIdentifier("abc".into())).is_err());
    assert_eq!(key(Key::Aaid("4e4e#4005".into())).unwrap(), EntryKey::Aaid("4e4e#4005".into()));
    assert!(key(Key::Aaid("4e4e-4005".into())).is_err());
    assert!(lookup_key(proto::GetAuthenticatorRequest { key: None }).is_err());
}

#[test]
fn chain_requests_are_checked() {
    use proto::validate_attestation_chain_request::Authenticator;
    let mut req = proto::ValidateAttestationChainRequest {
        authenticator: Some(Authenticator::Aaguid("cb69481e-8ff7-4039-93ec-0a2729a154a8".into())),
        x5c: vec![],
    };
    assert!(
        matches!(chain_request(&req), Err(ApiError::InvalidArgument { field, .. }) if field == "x5c")
    );
    req.x5c = vec![vec![0x30, 0x00]];
    assert!(
        matches!(chain_request(&req), Err(ApiError::InvalidArgument { field, .. }) if field == "x5c[0]")
    );
    req.x5c = vec![vec![0x30]; MAX_X5C_PLUS_ONE];
    assert!(
        matches!(chain_request(&req), Err(ApiError::InvalidArgument { field, .. }) if field == "x5c")
    );
    req.authenticator = None;
    assert!(chain_request(&req).is_err());
}

const MAX_X5C_PLUS_ONE: usize = crate::attestation::MAX_X5C + 1;

#[test]
fn page_tokens_round_trip_and_reject_garbage() {
    assert_eq!(parse_page_token(&page_token(121, 50)).unwrap(), (121, 50));
    assert!(parse_page_token("garbage!").is_err());
    let forged =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, "v2:1:2");
    assert!(parse_page_token(&forged).is_err());
}

#[test]
fn verdict_follows_trusted() {
    let judging = crate::registration::Registration {
        input: RegistrationInput {
            attestation_object: &[0xa0],
            client_data_json: b"{}",
            expectations: None,
        },
        store: None,
        policy: None,
        now: OffsetDateTime::now_utc(),
    };
    let r = crate::registration::judge(&crate::attestation::Verifier::default(), &judging);
    let resp = registration_response(&r, 5, false, false);
    assert!(!resp.trusted);
    assert_eq!(resp.verdict, proto::Verdict::Rejected as i32);
    assert_eq!(resp.metadata_no, 5);
    assert!(!resp.reasons.is_empty());
    assert_eq!(resp.reasons[0].code, "MALFORMED_ATTESTATION_OBJECT");
    assert_eq!(resp.attestation_trust, "untrusted");
    assert_eq!(resp.policy, None);
}

#[test]
fn metadata_source_carries_no_server_side_detail() {
    assert_eq!(public_source("https://mds.fidoalliance.org/"), "https://mds.fidoalliance.org/");
    assert_eq!(
        public_source("https://user:secret@mirror.example/blob?token=x#f"),
        "https://mirror.example/blob"
    );
    assert_eq!(public_source("/srv/operator-private/blob.jwt"), "local file");
    assert_eq!(public_source("file:///srv/x/blob.jwt"), "local file");
}

/// The bounds come from the core's `limits`; the field names and messages on the wire are
/// those of before.
#[test]
fn request_bounds_name_the_field_and_keep_their_messages() {
    let invalid = |r: Result<(), ApiError>| match r {
        Err(ApiError::InvalidArgument { field, reason }) => (field, reason),
        other => panic!("{other:?}"),
    };
    let mut req = request();
    req.client_data_json = vec![b' '; 64 * 1024 + 1];
    assert_eq!(
        invalid(expectations(&req).map(drop)),
        ("client_data_json".into(), "65537 bytes, more than 65536".into())
    );
    let mut req = request();
    req.top_origins = vec!["https://a.example".into(); 65];
    assert_eq!(
        invalid(expectations(&req).map(drop)),
        ("top_origins".into(), "more than 64".into())
    );
    assert_eq!(user_groups(10_000), Ok(()));
    assert_eq!(
        invalid(user_groups(10_001)),
        ("user_groups".into(), "10001 groups, more than 10000".into())
    );
    assert_eq!(invalid(credentials(0)), ("credentials".into(), "required".into()));
    assert_eq!(
        invalid(credentials(10_001)),
        ("credentials".into(), "10001 credentials, more than 10000 per call".into())
    );
    let chain = proto::ValidateAttestationChainRequest {
        authenticator: Some(proto::validate_attestation_chain_request::Authenticator::Aaguid(
            "cb69481e-8ff7-4039-93ec-0a2729a154a8".into(),
        )),
        x5c: vec![vec![0x30]; 9],
    };
    assert_eq!(
        invalid(chain_request(&chain).map(drop)),
        ("x5c".into(), "9 certificates, more than 8".into())
    );
    let mut stored = proto::RegisteredCredential {
        authenticator: Some(proto::registered_credential::Authenticator::Aaguid(
            "cb69481e-8ff7-4039-93ec-0a2729a154a8".into(),
        )),
        attestation_sha256: vec!["ab".repeat(32); 9],
        ..Default::default()
    };
    assert_eq!(
        invalid(stored_credential(0, &stored, false).map(drop)),
        ("credentials[0].attestation_sha256".into(), "9 fingerprints, more than 8".into())
    );
    stored.attestation_sha256.clear();
    stored.credential_id = vec![0; 1025];
    assert_eq!(
        invalid(stored_credential(0, &stored, false).map(drop)),
        ("credentials[0].credential_id".into(), "1025 bytes, more than 1024".into())
    );
}
