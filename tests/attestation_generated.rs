//! Generated negatives for packed, fido-u2f, apple, none and compound: each check of the
//! attestation core has a case here that fails when the check is removed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use ciborium::Value;
use gen::{make, EntrySpec, Fmt, Made, Opts};
use mdsd::attestation::{
    AttestationResult, AttestationType, CredentialKind, Expectations, ReasonCode,
    RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::trust_store::TrustStore;
use mdsd_test_support::attestation as gen;
use mdsd_test_support::pki::{self, t};
use time::OffsetDateTime;
use uuid::Uuid;

const ALL: &[Fmt] =
    &[Fmt::Packed, Fmt::PackedSelf, Fmt::FidoU2f, Fmt::Apple, Fmt::None, Fmt::Compound];
/// Formats with a certificate chain.
const CHAINED: &[Fmt] = &[Fmt::Packed, Fmt::FidoU2f, Fmt::Apple, Fmt::Compound];

fn now() -> OffsetDateTime {
    t(2025, 6, 1)
}

fn expectations() -> Expectations {
    Expectations {
        rp_id: Some(gen::RP_ID.into()),
        origins: vec![gen::ORIGIN.into()],
        challenge: Some(gen::CHALLENGE.to_vec()),
        top_origins: None,
        require_user_presence: true,
        require_user_verification: false,
    }
}

/// The store entry that vouches for `made` (by AAGUID, or by key identifier for fido-u2f).
fn entry_for<'a>(
    made: &'a Made,
    status: Vec<(&'a str, &'a str, Option<Vec<u8>>)>,
) -> EntrySpec<'a> {
    let mut e = if made.aaguid.is_nil() {
        let mut e = EntrySpec::new(None, "Generated U2F key", vec![&made.root]);
        e.key_identifiers = match &made.leaf {
            Some(leaf) => vec![leaf.parsed().fido_key_identifier()],
            None => vec!["00".into()],
        };
        e
    } else {
        EntrySpec::new(Some(made.aaguid), "Generated authenticator", vec![&made.root])
    };
    if made.fmt == Fmt::Apple {
        e.attestation_types = vec!["anonca"];
    }
    e.status = status;
    e
}

fn certified() -> Vec<(&'static str, &'static str, Option<Vec<u8>>)> {
    vec![("FIDO_CERTIFIED_L1", "2020-01-01", None)]
}

fn run_with(made: &Made, store: Option<&TrustStore>, at: OffsetDateTime) -> AttestationResult {
    let exp = expectations();
    let verifier = Verifier::new(VerifierOptions::default());
    verifier.verify_registration(
        &RegistrationInput {
            attestation_object: &made.attestation_object,
            client_data_json: &made.client_data_json,
            expectations: Some(&exp),
        },
        store,
        at,
    )
}

fn run(made: &Made) -> AttestationResult {
    let store = gen::store(1, &[entry_for(made, certified())]);
    run_with(made, Some(&store), now())
}

fn codes(r: &AttestationResult) -> Vec<ReasonCode> {
    r.reasons.iter().map(|r| r.code).collect()
}

#[track_caller]
fn assert_invalid(r: &AttestationResult, code: ReasonCode) {
    assert!(!r.statement_valid, "expected invalid: {:?}", r.reasons);
    assert!(!r.trusted);
    assert!(codes(r).contains(&code), "expected {code:?}, got {:?}", r.reasons);
}

#[track_caller]
fn assert_valid_untrusted(r: &AttestationResult, code: ReasonCode) {
    assert!(r.statement_valid, "expected valid: {:?}", r.reasons);
    assert!(!r.trusted, "expected untrusted");
    assert!(codes(r).contains(&code), "expected {code:?}, got {:?}", r.reasons);
}

#[test]
fn happy_paths_are_valid_and_trusted_when_chained() {
    for &fmt in ALL {
        let made = make(fmt, &Opts::default(), None);
        let r = run(&made);
        assert!(r.statement_valid, "{fmt:?}: {:?}", r.reasons);
        let expected_type = match fmt {
            Fmt::Packed | Fmt::FidoU2f | Fmt::Compound => AttestationType::Basic,
            Fmt::PackedSelf => AttestationType::SelfAttestation,
            Fmt::Apple => AttestationType::AnonCa,
            Fmt::None => AttestationType::None,
        };
        assert_eq!(r.attestation_type, Some(expected_type), "{fmt:?}");
        if CHAINED.contains(&fmt) {
            assert!(r.trusted, "{fmt:?}: {:?}", r.reasons);
            assert!(r.reasons.is_empty(), "{fmt:?}: {:?}", r.reasons);
            let a = r.authenticator.as_ref().unwrap();
            assert!(a.verified);
            assert_eq!(a.status.as_ref().map(|s| s.as_str()), Some("FIDO_CERTIFIED_L1"));
            assert_eq!(r.anchor.as_ref().unwrap().0, made.root.parsed().sha256_hex());
            assert_eq!(r.trust_path, vec![made.leaf.as_ref().unwrap().parsed().sha256_hex()]);
            assert_eq!(r.metadata_no, Some(1));
        } else {
            // none / self: valid, never trusted, and the AAGUID's entry is not "verified".
            assert_valid_untrusted(&r, ReasonCode::NoAttestationTrust);
            assert!(!r.authenticator.as_ref().unwrap().verified);
        }
        assert_eq!(r.credential_kind, Some(CredentialKind::DeviceBound));
        let json = r.to_json();
        for key in [
            "statement_valid",
            "trusted",
            "format",
            "attestation_type",
            "aaguid",
            "credential_kind",
            "authenticator",
            "reasons",
        ] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
    }
}

#[test]
fn flipped_signature_byte() {
    for &fmt in &[Fmt::Packed, Fmt::PackedSelf, Fmt::FidoU2f, Fmt::Compound] {
        let made = make(fmt, &Opts { flip_sig: true, ..Default::default() }, None);
        assert_invalid(&run(&made), ReasonCode::BadSignature);
    }
    // apple has no signature: the nonce in the certificate is flipped instead.
    let made = make(Fmt::Apple, &Opts { flip_sig: true, ..Default::default() }, None);
    assert_invalid(&run(&made), ReasonCode::NonceMismatch);
}

#[test]
fn wrong_client_data_hash() {
    for &fmt in &[Fmt::Packed, Fmt::PackedSelf, Fmt::FidoU2f, Fmt::Compound] {
        let made = make(fmt, &Opts { sign_other_client_data: true, ..Default::default() }, None);
        assert_invalid(&run(&made), ReasonCode::BadSignature);
    }
    let made = make(Fmt::Apple, &Opts { sign_other_client_data: true, ..Default::default() }, None);
    assert_invalid(&run(&made), ReasonCode::NonceMismatch);
}

#[test]
fn wrong_aaguid_in_certificate_extension() {
    let other = Uuid::from_bytes([0x17; 16]);
    for &fmt in &[Fmt::Packed, Fmt::Compound] {
        let made = make(fmt, &Opts { cert_aaguid: Some(other), ..Default::default() }, None);
        assert_invalid(&run(&made), ReasonCode::AaguidMismatch);
    }
    // Without the extension the statement is fine.
    let made = make(Fmt::Packed, &Opts { no_aaguid_extension: true, ..Default::default() }, None);
    assert!(run(&made).trusted);
}

#[test]
fn leaf_not_yet_valid_or_expired() {
    for &fmt in CHAINED {
        for window in [(t(2026, 1, 1), t(2030, 1, 1)), (t(2021, 1, 1), t(2024, 1, 1))] {
            let made = make(fmt, &Opts { leaf_validity: Some(window), ..Default::default() }, None);
            assert_valid_untrusted(&run(&made), ReasonCode::CertificateExpired);
            // Reported even when there is no metadata to build a chain against.
            let r = run_with(&made, None, now());
            assert_valid_untrusted(&r, ReasonCode::CertificateExpired);
            assert!(codes(&r).contains(&ReasonCode::MetadataNotFound));
        }
    }
}

#[test]
fn chain_to_another_authenticators_root() {
    for &fmt in CHAINED {
        let made = make(fmt, &Opts::default(), None);
        let other_root = pki::root("another vendor root");
        let mut entry = entry_for(&made, certified());
        entry.roots = vec![&other_root];
        let store = gen::store(2, &[entry]);
        assert_valid_untrusted(&run_with(&made, Some(&store), now()), ReasonCode::UntrustedChain);
    }
}

#[test]
fn no_metadata_entry() {
    for &fmt in CHAINED {
        let made = make(fmt, &Opts::default(), None);
        let unrelated = pki::root("unrelated");
        let store = gen::store(
            3,
            &[EntrySpec::new(Some(Uuid::from_bytes([0x99; 16])), "other", vec![&unrelated])],
        );
        let r = run_with(&made, Some(&store), now());
        assert_valid_untrusted(&r, ReasonCode::MetadataNotFound);
        assert!(r.authenticator.is_none());
        // No store at all.
        assert_valid_untrusted(&run_with(&made, None, now()), ReasonCode::MetadataNotFound);
    }
}

#[test]
fn extra_anchor_without_metadata_is_trusted_by_operator_decision() {
    let made = make(Fmt::Apple, &Opts::default(), None);
    let verifier = Verifier::new(VerifierOptions {
        extra_anchors: vec![made.root.anchor()],
        ..Default::default()
    });
    let r = verifier.verify_registration(
        &RegistrationInput {
            attestation_object: &made.attestation_object,
            client_data_json: &made.client_data_json,
            expectations: None,
        },
        None,
        now(),
    );
    assert!(r.trusted, "{:?}", r.reasons);
    assert!(r.authenticator.is_none());
    assert_eq!(r.anchor.as_ref().unwrap().1, made.root.spec.cn);
}

/// An authenticator whose chain leads to an operator anchor (a platform root such as Google's or
/// Apple's) but whose authenticatorData claims the AAGUID of a model that MDS lists must not be
/// reported as that model: only the entry's own roots bind an AAGUID to a model.
#[test]
fn extra_anchor_does_not_vouch_for_a_claimed_mds_aaguid() {
    for &fmt in &[Fmt::Packed, Fmt::Compound] {
        let made = make(fmt, &Opts::default(), None);
        let genuine_root = pki::root("the listed model's own root");
        let mut entry = entry_for(&made, certified());
        entry.roots = vec![&genuine_root];
        let store = gen::store(9, &[entry]);
        let verifier = Verifier::new(VerifierOptions {
            extra_anchors: vec![made.root.anchor()],
            ..Default::default()
        });
        let exp = expectations();
        let r = verifier.verify_registration(
            &RegistrationInput {
                attestation_object: &made.attestation_object,
                client_data_json: &made.client_data_json,
                expectations: Some(&exp),
            },
            Some(&store),
            now(),
        );
        assert_valid_untrusted(&r, ReasonCode::UntrustedChain);
        // Without the metadata entry the same chain is trusted through the operator anchor,
        // but no authenticator is identified.
        let r = verifier.verify_registration(
            &RegistrationInput {
                attestation_object: &made.attestation_object,
                client_data_json: &made.client_data_json,
                expectations: Some(&exp),
            },
            None,
            now(),
        );
        assert!(r.trusted, "{:?}", r.reasons);
        assert!(r.authenticator.is_none());
    }
}

#[test]
fn revoked_model_in_metadata() {
    for &fmt in CHAINED {
        let made = make(fmt, &Opts::default(), None);
        let status =
            vec![("FIDO_CERTIFIED_L1", "2020-01-01", None), ("REVOKED", "2024-01-01", None)];
        let store = gen::store(4, &[entry_for(&made, status)]);
        let r = run_with(&made, Some(&store), now());
        assert_valid_untrusted(&r, ReasonCode::StatusRefused);
        assert_eq!(r.authenticator.unwrap().status.as_ref().map(|s| s.as_str()), Some("REVOKED"));
        // Before the revocation's effective date the model is still trusted.
        let made_early = make(fmt, &Opts::default(), None);
        let status =
            vec![("FIDO_CERTIFIED_L1", "2020-01-01", None), ("REVOKED", "2026-01-01", None)];
        let store = gen::store(5, &[entry_for(&made_early, status)]);
        assert!(run_with(&made_early, Some(&store), now()).trusted);
    }
}

#[test]
fn compromised_attestation_key_scoped_by_certificate() {
    for &fmt in CHAINED {
        let made = make(fmt, &Opts::default(), None);
        let leaf_der = made.leaf.as_ref().unwrap().der.clone();
        let status = vec![
            ("FIDO_CERTIFIED_L1", "2020-01-01", None),
            ("ATTESTATION_KEY_COMPROMISE", "2024-01-01", Some(leaf_der)),
        ];
        let store = gen::store(6, &[entry_for(&made, status)]);
        assert_valid_untrusted(&run_with(&made, Some(&store), now()), ReasonCode::StatusRefused);

        // The same report naming another batch certificate does not hit this one.
        let other_batch = pki::leaf("other batch", &made.root).der;
        let status = vec![
            ("FIDO_CERTIFIED_L1", "2020-01-01", None),
            ("ATTESTATION_KEY_COMPROMISE", "2024-01-01", Some(other_batch)),
        ];
        let store = gen::store(7, &[entry_for(&made, status)]);
        let r = run_with(&made, Some(&store), now());
        assert!(r.trusted, "{fmt:?}: {:?}", r.reasons);
    }
}

#[test]
fn backup_state_without_backup_eligibility() {
    for &fmt in ALL {
        let made =
            make(fmt, &Opts { flags: gen::FLAGS_DEFAULT | 0x10, ..Default::default() }, None);
        assert_invalid(&run(&made), ReasonCode::MalformedAuthenticatorData);
        // BE|BS is fine, and the credential is reported as synced.
        let made =
            make(fmt, &Opts { flags: gen::FLAGS_DEFAULT | 0x18, ..Default::default() }, None);
        let r = run(&made);
        assert!(r.statement_valid, "{fmt:?}: {:?}", r.reasons);
        assert_eq!(r.credential_kind, Some(CredentialKind::Synced));
    }
}

#[test]
fn synced_credential_conflicting_with_metadata_is_noted() {
    let made =
        make(Fmt::Packed, &Opts { flags: gen::FLAGS_DEFAULT | 0x08, ..Default::default() }, None);
    let mut entry = entry_for(&made, certified());
    entry.mdcs = Some("unsupported");
    let store = gen::store(8, &[entry]);
    let r = run_with(&made, Some(&store), now());
    assert!(r.kind_conflict.is_some());
    assert_eq!(
        r.authenticator.unwrap().multi_device_credential_support.as_deref(),
        Some("unsupported")
    );
    assert!(run(&make(Fmt::Packed, &Opts::default(), None)).kind_conflict.is_none());
}

#[test]
fn truncated_and_garbage_cbor_never_panics() {
    for &fmt in ALL {
        let made = make(fmt, &Opts::default(), None);
        let full = made.attestation_object.clone();
        for cut in 0..full.len() {
            let m = Made { attestation_object: full[..cut].to_vec(), ..clone_made(&made) };
            let r = run(&m);
            assert!(!r.statement_valid, "{fmt:?} cut at {cut}");
            assert!(!r.reasons.is_empty());
        }
        let mut trailing = full.clone();
        trailing.push(0x00);
        let m = Made { attestation_object: trailing, ..clone_made(&made) };
        assert_invalid(&run(&m), ReasonCode::MalformedAttestationObject);
        // Deterministic garbage: flip each byte in turn (bounded), nothing may panic.
        for i in (0..full.len()).step_by(7) {
            let mut g = full.clone();
            g[i] ^= 0xa5;
            let m = Made { attestation_object: g, ..clone_made(&made) };
            let _ = run(&m);
        }
    }
    for garbage in
        [&b""[..], b"\xff", b"\xa0", b"\x80", b"{}", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff"]
    {
        let m = Made {
            attestation_object: garbage.to_vec(),
            ..clone_made(&make(Fmt::None, &Opts::default(), None))
        };
        assert!(!run(&m).statement_valid);
    }
}

fn clone_made(m: &Made) -> Made {
    Made {
        attestation_object: m.attestation_object.clone(),
        client_data_json: m.client_data_json.clone(),
        auth_data: m.auth_data.clone(),
        root: pki::root("unused"),
        leaf: None,
        aaguid: m.aaguid,
        fmt: m.fmt,
    }
}

fn object_with(fmt: &str, stmt: Value, auth: &[u8]) -> Vec<u8> {
    gen::attestation_object(fmt, stmt, auth)
}

#[test]
fn attestation_object_structure() {
    let made = make(Fmt::None, &Opts::default(), None);
    let cd = made.client_data_json.clone();
    let check = |ao: Vec<u8>, code: ReasonCode| {
        let m = Made { attestation_object: ao, client_data_json: cd.clone(), ..clone_made(&made) };
        assert_invalid(&run(&m), code);
    };
    // Unknown format.
    check(
        object_with("x-unknown", Value::Map(vec![]), &made.auth_data),
        ReasonCode::UnsupportedFormat,
    );
    // none with a non-empty attStmt.
    check(
        object_with(
            "none",
            Value::Map(vec![(Value::Text("x".into()), Value::Null)]),
            &made.auth_data,
        ),
        ReasonCode::MalformedStatement,
    );
    // Missing authData.
    let t = |s: &str| Value::Text(s.into());
    check(
        gen::enc(&Value::Map(vec![(t("fmt"), t("none")), (t("attStmt"), Value::Map(vec![]))])),
        ReasonCode::MalformedAttestationObject,
    );
    // Duplicate fmt key.
    check(
        gen::enc(&Value::Map(vec![
            (t("fmt"), t("none")),
            (t("fmt"), t("none")),
            (t("attStmt"), Value::Map(vec![])),
            (t("authData"), Value::Bytes(made.auth_data.clone())),
        ])),
        ReasonCode::MalformedAttestationObject,
    );
    // Nesting bomb.
    let mut deep = vec![0x81u8; 200];
    deep.push(0);
    let mut bomb = gen::enc(&Value::Map(vec![
        (t("fmt"), t("none")),
        (t("authData"), Value::Bytes(made.auth_data.clone())),
    ]));
    bomb[0] = 0xa3;
    bomb.extend_from_slice(&gen::enc(&t("attStmt")));
    bomb.extend_from_slice(&deep);
    check(bomb, ReasonCode::LimitExceeded);
    // Size cap.
    let verifier = Verifier::new(VerifierOptions::default());
    let big = vec![0u8; 64 * 1024 + 1];
    let r = verifier.verify_registration(
        &RegistrationInput { attestation_object: &big, client_data_json: &cd, expectations: None },
        None,
        now(),
    );
    assert_invalid(&r, ReasonCode::LimitExceeded);
    let big_cd = vec![b' '; 64 * 1024 + 1];
    let r = verifier.verify_registration(
        &RegistrationInput {
            attestation_object: &made.attestation_object,
            client_data_json: &big_cd,
            expectations: None,
        },
        None,
        now(),
    );
    assert_invalid(&r, ReasonCode::LimitExceeded);
    // No attested credential data (AT clear).
    let auth = gen::auth_data(gen::RP_ID, 0x01, &Uuid::nil(), &[], &[]);
    check(object_with("none", Value::Map(vec![]), &auth), ReasonCode::MalformedAuthenticatorData);
}

#[test]
fn packed_certificate_requirements() {
    let made = make(
        Fmt::Packed,
        &Opts { leaf_ou: Some("Something Else".into()), ..Default::default() },
        None,
    );
    assert_invalid(&run(&made), ReasonCode::CertificateRequirements);
    let made = make(Fmt::Packed, &Opts { leaf_is_ca: true, ..Default::default() }, None);
    assert_invalid(&run(&made), ReasonCode::CertificateRequirements);
}

#[test]
fn packed_self_attestation_alg_must_match_credential() {
    let made = make(Fmt::PackedSelf, &Opts::default(), None);
    // Re-encode attStmt with alg RS256 instead of ES256.
    let value: Value = ciborium::de::from_reader(&made.attestation_object[..]).unwrap();
    let Value::Map(top) = value else { panic!() };
    let stmt = top.iter().find(|(k, _)| k == &Value::Text("attStmt".into())).unwrap().1.clone();
    let Value::Map(mut stmt) = stmt else { panic!() };
    for (k, v) in stmt.iter_mut() {
        if k == &Value::Text("alg".into()) {
            *v = Value::Integer((-257).into());
        }
    }
    let ao = object_with("packed", Value::Map(stmt), &made.auth_data);
    let m = Made { attestation_object: ao, ..clone_made(&made) };
    assert_invalid(&run(&m), ReasonCode::AlgorithmMismatch);
}

#[test]
fn fido_u2f_requires_exactly_one_certificate() {
    let made = make(Fmt::FidoU2f, &Opts::default(), None);
    let value: Value = ciborium::de::from_reader(&made.attestation_object[..]).unwrap();
    let Value::Map(top) = value else { panic!() };
    let stmt = top.iter().find(|(k, _)| k == &Value::Text("attStmt".into())).unwrap().1.clone();
    let Value::Map(mut stmt) = stmt else { panic!() };
    for (k, v) in stmt.iter_mut() {
        if k == &Value::Text("x5c".into()) {
            let Value::Array(items) = v else { panic!() };
            items.push(Value::Bytes(made.root.der.clone()));
        }
    }
    let ao = object_with("fido-u2f", Value::Map(stmt), &made.auth_data);
    let m = Made { attestation_object: ao, ..clone_made(&made) };
    assert_invalid(&run(&m), ReasonCode::MalformedStatement);
}

#[test]
fn compound_rules() {
    let made = make(Fmt::Compound, &Opts::default(), None);
    let value: Value = ciborium::de::from_reader(&made.attestation_object[..]).unwrap();
    let Value::Map(top) = value else { panic!() };
    let stmt = top.iter().find(|(k, _)| k == &Value::Text("attStmt".into())).unwrap().1.clone();
    let Value::Array(items) = stmt else { panic!() };
    let t = |s: &str| Value::Text(s.into());
    let check = |stmt: Value, code: ReasonCode| {
        let ao = object_with("compound", stmt, &made.auth_data);
        let m = Made { attestation_object: ao, ..clone_made(&made) };
        assert_invalid(&run(&m), code);
    };
    // A single statement is not enough.
    check(Value::Array(items[..1].to_vec()), ReasonCode::MalformedStatement);
    // Nested compound.
    let nested =
        Value::Map(vec![(t("fmt"), t("compound")), (t("attStmt"), Value::Array(items.clone()))]);
    check(Value::Array(vec![items[0].clone(), nested]), ReasonCode::MalformedStatement);
    // One bad sub-statement fails the whole.
    let bad_none = Value::Map(vec![
        (t("fmt"), t("none")),
        (t("attStmt"), Value::Map(vec![(t("x"), Value::Null)])),
    ]);
    check(Value::Array(vec![items[0].clone(), bad_none]), ReasonCode::MalformedStatement);
    // Unknown sub-format.
    let unknown = Value::Map(vec![(t("fmt"), t("x-new")), (t("attStmt"), Value::Map(vec![]))]);
    check(Value::Array(vec![items[0].clone(), unknown]), ReasonCode::UnsupportedFormat);
    // Not an array.
    check(Value::Map(vec![]), ReasonCode::MalformedStatement);
    // Order does not matter: trust is judged on the statement with a certificate chain.
    let reversed = object_with(
        "compound",
        Value::Array(vec![items[1].clone(), items[0].clone()]),
        &made.auth_data,
    );
    let r = run(&Made { attestation_object: reversed, ..clone_made(&made) });
    assert_eq!(r.attestation_type, Some(AttestationType::Basic));
    assert!(!r.trust_path.is_empty());
}

#[test]
fn ceremony_checks_only_as_asked() {
    let cases: Vec<(Opts, &str)> = vec![
        (Opts { client_type: "webauthn.get".into(), ..Default::default() }, "type"),
        (Opts { origin: "https://evil.example".into(), ..Default::default() }, "origin"),
        (Opts { challenge: b"another challenge".to_vec(), ..Default::default() }, "challenge"),
        (Opts { rp_id: "evil.example".into(), ..Default::default() }, "rpIdHash"),
        (Opts { flags: 0x40, ..Default::default() }, "UP"),
    ];
    for (opts, what) in cases {
        let made = make(Fmt::Packed, &opts, None);
        let r = run(&made);
        assert!(!r.statement_valid, "{what}: {:?}", r.reasons);
        assert!(!r.trusted);
        assert!(codes(&r).contains(&ReasonCode::CeremonyMismatch), "{what}: {:?}", r.reasons);
        // Without expectations the attestation alone is judged: valid and trusted.
        let store = gen::store(1, &[entry_for(&made, certified())]);
        let verifier = Verifier::new(VerifierOptions::default());
        let r = verifier.verify_registration(
            &RegistrationInput {
                attestation_object: &made.attestation_object,
                client_data_json: &made.client_data_json,
                expectations: None,
            },
            Some(&store),
            now(),
        );
        assert!(r.trusted, "{what}: {:?}", r.reasons);
    }
    // UV required but not given.
    let made = make(Fmt::Packed, &Opts { flags: 0x41, ..Default::default() }, None);
    let store = gen::store(1, &[entry_for(&made, certified())]);
    let exp = Expectations { require_user_verification: true, ..expectations() };
    let r = Verifier::default().verify_registration(
        &RegistrationInput {
            attestation_object: &made.attestation_object,
            client_data_json: &made.client_data_json,
            expectations: Some(&exp),
        },
        Some(&store),
        now(),
    );
    assert!(codes(&r).contains(&ReasonCode::CeremonyMismatch), "{:?}", r.reasons);
    // Malformed clientDataJSON when checks are asked.
    let m = Made { client_data_json: b"not json".to_vec(), ..clone_made(&made) };
    assert_invalid(&run(&m), ReasonCode::MalformedClientData);
}

#[test]
fn chain_cache_hits_and_still_enforces_now() {
    let made = make(
        Fmt::Packed,
        &Opts { leaf_validity: Some((t(2024, 1, 1), t(2026, 1, 1))), ..Default::default() },
        None,
    );
    let store = gen::store(9, &[entry_for(&made, certified())]);
    let verifier = Verifier::new(VerifierOptions::default());
    let input = RegistrationInput {
        attestation_object: &made.attestation_object,
        client_data_json: &made.client_data_json,
        expectations: None,
    };
    let first = verifier.verify_registration(&input, Some(&store), now());
    assert!(first.trusted, "{:?}", first.reasons);
    let s1 = verifier.cache_stats();
    assert_eq!((s1.hits, s1.misses, s1.entries), (0, 1, 1));
    let second = verifier.verify_registration(&input, Some(&store), now());
    assert!(second.trusted);
    assert_eq!(verifier.cache_stats().hits, 1);
    // A hit must not extend validity: after the leaf expired, the cached path is not used.
    let late = verifier.verify_registration(&input, Some(&store), t(2026, 6, 1));
    assert!(!late.trusted);
    assert!(codes(&late).contains(&ReasonCode::CertificateExpired), "{:?}", late.reasons);
    assert_eq!(verifier.cache_stats().hits, 1);
    // Another trust store (different roots) is another key.
    let other_root = pki::root("other");
    let mut e = entry_for(&made, certified());
    e.roots = vec![&made.root, &other_root];
    let store2 = gen::store(10, &[e]);
    assert!(verifier.verify_registration(&input, Some(&store2), now()).trusted);
    assert_eq!(verifier.cache_stats().hits, 1);
    assert_eq!(verifier.cache_stats().entries, 2);
}

#[test]
fn more_certificate_requirements() {
    let o = |f: fn(&mut Opts)| {
        let mut o = Opts::default();
        f(&mut o);
        o
    };
    // packed: AAGUID extension must be non-critical; subject needs C.
    let made = make(Fmt::Packed, &o(|o| o.aaguid_ext_critical = true), None);
    assert_invalid(&run(&made), ReasonCode::CertificateRequirements);
    let made = make(Fmt::Packed, &o(|o| o.drop_country = true), None);
    assert_invalid(&run(&made), ReasonCode::CertificateRequirements);
    // fido-u2f: the certificate key must be EC P-256.
    let made = make(Fmt::FidoU2f, &o(|o| o.leaf_key = Some(pki::KeyAlg::P384)), None);
    assert_invalid(&run(&made), ReasonCode::CertificateRequirements);
    // packed accepts a P-384 attestation key (ES384).
    let made = make(Fmt::Packed, &o(|o| o.leaf_key = Some(pki::KeyAlg::P384)), None);
    assert!(run(&made).statement_valid);
    // apple: the credential key must be the certificate key.
    let made = make(Fmt::Apple, &o(|o| o.apple_other_key = true), None);
    assert_invalid(&run(&made), ReasonCode::CredentialKeyMismatch);
}

#[test]
fn x5c_is_bounded() {
    let made = make(Fmt::Packed, &Opts::default(), None);
    let value: Value = ciborium::de::from_reader(&made.attestation_object[..]).unwrap();
    let Value::Map(top) = value else { panic!() };
    let stmt = top.iter().find(|(k, _)| k == &Value::Text("attStmt".into())).unwrap().1.clone();
    let Value::Map(mut stmt) = stmt else { panic!() };
    for (k, v) in stmt.iter_mut() {
        if k == &Value::Text("x5c".into()) {
            let Value::Array(items) = v else { panic!() };
            let first = items[0].clone();
            items.extend(std::iter::repeat_n(first, 8));
        }
    }
    let ao = object_with("packed", Value::Map(stmt), &made.auth_data);
    let m = Made { attestation_object: ao, ..clone_made(&made) };
    assert_invalid(&run(&m), ReasonCode::LimitExceeded);
}

#[test]
fn verifier_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Verifier>();
    let made = make(Fmt::Packed, &Opts::default(), None);
    let store = gen::store(11, &[entry_for(&made, certified())]);
    let verifier = Verifier::default();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let r = verifier.verify_registration(
                    &RegistrationInput {
                        attestation_object: &made.attestation_object,
                        client_data_json: &made.client_data_json,
                        expectations: None,
                    },
                    Some(&store),
                    now(),
                );
                assert!(r.trusted);
            });
        }
    });
    let stats = verifier.cache_stats();
    assert_eq!(stats.hits + stats.misses, 4);
}

/// The attStmt of a generated registration, as map entries.
fn stmt_entries(made: &Made) -> Vec<(Value, Value)> {
    let value: Value = ciborium::de::from_reader(&made.attestation_object[..]).unwrap();
    let Value::Map(top) = value else { panic!() };
    match top.into_iter().find(|(k, _)| k == &Value::Text("attStmt".into())).unwrap().1 {
        Value::Map(m) => m,
        _ => panic!(),
    }
}

fn with_field(stmt: &[(Value, Value)], name: &str, value: Option<Value>) -> Value {
    let mut out: Vec<(Value, Value)> =
        stmt.iter().filter(|(k, _)| k != &Value::Text(name.into())).cloned().collect();
    if let Some(v) = value {
        out.push((Value::Text(name.into()), v));
    }
    Value::Map(out)
}

#[test]
fn statement_field_shapes() {
    let b = |d: &[u8]| Value::Bytes(d.to_vec());
    for (fmt, name) in [(Fmt::Packed, "packed"), (Fmt::FidoU2f, "fido-u2f"), (Fmt::Apple, "apple")]
    {
        let made = make(fmt, &Opts::default(), None);
        let stmt = stmt_entries(&made);
        let mut cases = vec![
            (with_field(&stmt, "x5c", Some(Value::Text("x".into()))), "x5c"),
            (with_field(&stmt, "x5c", Some(Value::Array(vec![]))), "empty"),
            (
                with_field(&stmt, "x5c", Some(Value::Array(vec![Value::Integer(1.into())]))),
                "x5c[0]",
            ),
            (
                with_field(&stmt, "x5c", Some(Value::Array(vec![b(b"\x30\x03\x02\x01\x01")]))),
                "x5c[0]",
            ),
            (Value::Array(vec![]), "instead of a map"),
        ];
        if fmt != Fmt::Apple {
            cases.push((with_field(&stmt, "sig", None), "sig is missing"));
            cases.push((with_field(&stmt, "sig", Some(Value::Integer(1.into()))), "sig"));
        } else {
            cases.push((with_field(&stmt, "x5c", None), "x5c is missing"));
        }
        if fmt == Fmt::Packed {
            cases.push((with_field(&stmt, "alg", None), "alg is missing"));
            cases.push((with_field(&stmt, "alg", Some(Value::Text("ES256".into()))), "alg"));
            cases.push((with_field(&stmt, "alg", Some(Value::Integer((-48).into()))), "ML-DSA-44"));
        }
        for (stmt, needle) in cases {
            let ao = object_with(name, stmt, &made.auth_data);
            let m = Made { attestation_object: ao, ..clone_made(&made) };
            let r = run(&m);
            assert!(!r.statement_valid, "{name} {needle}");
            assert!(
                r.reasons.iter().any(|r| r.message.contains(needle)),
                "{name} {needle}: {:?}",
                r.reasons
            );
        }
    }
}

#[test]
fn apple_requires_the_nonce_extension() {
    // A packed leaf has no apple nonce extension; put it into an apple statement.
    let packed = make(Fmt::Packed, &Opts::default(), None);
    let x5c =
        stmt_entries(&packed).into_iter().find(|(k, _)| k == &Value::Text("x5c".into())).unwrap().1;
    let stmt = Value::Map(vec![(Value::Text("x5c".into()), x5c)]);
    let ao = object_with("apple", stmt, &packed.auth_data);
    let m = Made { attestation_object: ao, ..clone_made(&packed) };
    let r = run(&m);
    assert_invalid(&r, ReasonCode::CertificateRequirements);
    assert!(r.reasons[0].message.contains("nonce extension"));
}

#[test]
fn fido_u2f_credential_key_must_be_p256() {
    let made = make(Fmt::FidoU2f, &Opts::default(), None);
    let i = |n: i64| Value::Integer(n.into());
    let ed25519 = gen::enc(&Value::Map(vec![
        (i(1), i(1)),
        (i(3), i(-8)),
        (i(-1), i(6)),
        (i(-2), Value::Bytes(vec![3; 32])),
    ]));
    let auth = gen::auth_data(gen::RP_ID, gen::FLAGS_DEFAULT, &Uuid::nil(), &[1; 16], &ed25519);
    let ao = object_with("fido-u2f", Value::Map(stmt_entries(&made)), &auth);
    let m = Made { attestation_object: ao, ..clone_made(&made) };
    assert_invalid(&run(&m), ReasonCode::CredentialKeyMismatch);
}

#[test]
fn compound_is_bounded() {
    let made = make(Fmt::Compound, &Opts::default(), None);
    let value: Value = ciborium::de::from_reader(&made.attestation_object[..]).unwrap();
    let Value::Map(top) = value else { panic!() };
    let Value::Array(items) =
        top.into_iter().find(|(k, _)| k == &Value::Text("attStmt".into())).unwrap().1
    else {
        panic!()
    };
    let many: Vec<Value> = items.iter().cycle().take(5).cloned().collect();
    let ao = object_with("compound", Value::Array(many), &made.auth_data);
    let m = Made { attestation_object: ao, ..clone_made(&made) };
    assert_invalid(&run(&m), ReasonCode::LimitExceeded);
    let four: Vec<Value> = items.iter().cycle().take(4).cloned().collect();
    let ao = object_with("compound", Value::Array(four), &made.auth_data);
    let m = Made { attestation_object: ao, ..clone_made(&made) };
    assert!(run(&m).statement_valid);
}

#[test]
fn chain_cache_is_bounded() {
    let verifier = Verifier::with_cache_capacity(VerifierOptions::default(), 1);
    for i in 0..3 {
        let made = make(Fmt::Packed, &Opts::default(), None);
        let store = gen::store(20 + i, &[entry_for(&made, certified())]);
        let r = verifier.verify_registration(
            &RegistrationInput {
                attestation_object: &made.attestation_object,
                client_data_json: &made.client_data_json,
                expectations: None,
            },
            Some(&store),
            now(),
        );
        assert!(r.trusted);
        assert_eq!(verifier.cache_stats().entries, 1);
    }
    let off = Verifier::with_cache_capacity(VerifierOptions::default(), 0);
    let made = make(Fmt::Packed, &Opts::default(), None);
    let store = gen::store(30, &[entry_for(&made, certified())]);
    for _ in 0..2 {
        let input = RegistrationInput {
            attestation_object: &made.attestation_object,
            client_data_json: &made.client_data_json,
            expectations: None,
        };
        assert!(off.verify_registration(&input, Some(&store), now()).trusted);
    }
    assert_eq!(off.cache_stats().hits, 0);
}
