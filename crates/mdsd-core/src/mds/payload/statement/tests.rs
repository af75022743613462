//! Operator statements: what a good one becomes, and each refusal with its file and field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use uuid::Uuid;

use super::*;
use crate::policy::MetadataCapabilities;

const AAGUID: &str = "0fb0b9ed-71ef-4a52-a25e-4b1e0a7b2c11";

fn root_b64() -> String {
    let roots = crate::mds::builtin_roots();
    STANDARD.encode(roots[0].cert.der())
}

/// A good statement with `extra` members merged in (a `null` value removes the member).
fn statement(extra: serde_json::Value) -> Vec<u8> {
    let mut s = serde_json::json!({
        "legalHeader": "private",
        "aaguid": AAGUID,
        "description": "Example Corp private key",
        "authenticatorVersion": 2,
        "protocolFamily": "fido2",
        "schema": 3,
        "upv": [{"major": 1, "minor": 1}],
        "attestationTypes": ["basic_full"],
        "attestationRootCertificates": [root_b64()],
        "userVerificationDetails": [[{"userVerificationMethod": "passcode_internal"}]],
        "authenticatorGetInfo": {"versions": ["FIDO_2_1"], "options": {"rk": true, "uv": true}},
        "keyScope": "hardware",
        "multiDeviceCredentialSupport": "unsupported",
        "somethingNew": 1,
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            s.as_object_mut().unwrap().remove(k);
        } else {
            s[k] = v.clone();
        }
    }
    serde_json::to_vec_pretty(&s).unwrap()
}

fn problem(json: &[u8]) -> StatementProblem {
    match parse_metadata_statement(json, "private.json").unwrap_err() {
        StatementError::Invalid { file, problem } => {
            assert_eq!(file, "private.json");
            problem
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_statement_becomes_an_operator_entry_read_as_a_blob_entry() {
    let s =
        parse_metadata_statement(&statement(serde_json::json!({})), "dir/private.json").unwrap();
    let e = &s.entry;
    assert_eq!(e.aaguid(), Some(Uuid::parse_str(AAGUID).unwrap()));
    assert_eq!(e.origin(), &Origin::Operator { file: Arc::from("dir/private.json") });
    assert_eq!(e.origin().to_string(), "operator:dir/private.json");
    assert_eq!(e.description(), Some("Example Corp private key"));
    assert_eq!(e.authenticator_version(), Some(2));
    assert_eq!(e.attestation_types(), ["basic_full"]);
    assert_eq!(e.key_scope(), Some("hardware"));
    assert_eq!(e.multi_device_credential_support(), Some("unsupported"));
    assert_eq!(e.attestation_roots().len(), 1);
    assert_eq!(e.attestation_roots()[0].der(), crate::mds::builtin_roots()[0].cert.der());
    // Never any status: only the MDS issues status reports.
    assert!(e.status_reports().is_empty());
    // The raw JSON is an MDS entry around the file's object, so the policy reads the UV and
    // resident-key support of the statement as it reads an MDS entry's.
    let raw: serde_json::Value = serde_json::from_str(e.raw_json()).unwrap();
    assert_eq!(raw["statusReports"], serde_json::json!([]));
    assert_eq!(raw["metadataStatement"]["aaguid"], AAGUID);
    assert_eq!(
        MetadataCapabilities::from_entry(e),
        MetadataCapabilities { user_verification: true, resident_key: true }
    );
    assert_eq!(s.unknown_fields, ["somethingNew"]);
    assert!(s.notes.is_empty());
}

#[test]
fn u2f_statements_are_found_by_key_identifier() {
    let json = statement(serde_json::json!({
        "aaguid": null, "protocolFamily": "u2f",
        "attestationCertificateKeyIdentifiers": ["AABBCCDDEEFF00112233445566778899AABBCCDD"],
    }));
    let s = parse_metadata_statement(&json, "u2f.json").unwrap();
    assert_eq!(s.entry.aaguid(), None);
    assert_eq!(s.entry.key_identifiers(), ["aabbccddeeff00112233445566778899aabbccdd"]);
}

#[test]
fn roots_with_line_breaks_are_read_with_a_note() {
    let wrapped: String = root_b64()
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let json = statement(serde_json::json!({"attestationRootCertificates": [wrapped]}));
    let s = parse_metadata_statement(&json, "f.json").unwrap();
    assert_eq!(s.entry.attestation_roots().len(), 1);
    assert_eq!(s.notes, [EntryNote::AttestationRoot { index: 0, note: RootNote::Whitespace }]);
}

/// Each defect is refused with the field it is in; the BLOB loader would have tolerated the
/// bad roots (left out with a note), a statement may not.
#[test]
fn each_defect_is_refused_with_its_field() {
    use serde_json::json;
    let cases: Vec<(serde_json::Value, Option<&str>, &str)> = vec![
        (json!({"aaguid": "not-a-uuid"}), Some("aaguid"), "is not a UUID"),
        (json!({"aaguid": Uuid::nil().to_string()}), Some("aaguid"), "nil AAGUID"),
        (json!({"aaguid": 7}), Some("aaguid"), "wrong type"),
        (json!({"aaguid": null}), None, "names no model"),
        (
            json!({"attestationCertificateKeyIdentifiers": ["xyz"]}),
            Some("attestationCertificateKeyIdentifiers"),
            "not hex",
        ),
        (json!({"description": null}), Some("description"), "missing"),
        (json!({"protocolFamily": 2}), Some("protocolFamily"), "expected a string"),
        (json!({"attestationTypes": []}), Some("attestationTypes"), "empty"),
        (
            json!({"attestationRootCertificates": null}),
            Some("attestationRootCertificates"),
            "missing",
        ),
        (
            json!({"attestationRootCertificates": []}),
            Some("attestationRootCertificates"),
            "its roots only",
        ),
        (
            json!({"attestationRootCertificates": [root_b64(), 5]}),
            Some("attestationRootCertificates[1]"),
            "expected a string",
        ),
        (
            json!({"attestationRootCertificates": [root_b64(), "!!!"]}),
            Some("attestationRootCertificates[1]"),
            "not base64",
        ),
        (
            json!({"attestationRootCertificates": [STANDARD.encode(b"not DER")]}),
            Some("attestationRootCertificates[0]"),
            "not a certificate",
        ),
        (
            json!({"attestationRootCertificates": vec![root_b64(); 65]}),
            Some("attestationRootCertificates"),
            "more than 64",
        ),
        (
            json!({"userVerificationDetails": [[{"userVerificationMethod": 3}]]}),
            Some("userVerificationDetails[0][0].userVerificationMethod"),
            "expected a string",
        ),
        (json!({"userVerificationDetails": {}}), Some("userVerificationDetails"), "array"),
        (
            json!({"authenticatorGetInfo": {"options": {"rk": "yes"}}}),
            Some("authenticatorGetInfo.options.rk"),
            "true or false",
        ),
        (json!({"keyScope": 1}), Some("keyScope"), "wrong type"),
        (json!({"authenticatorVersion": "2"}), Some("authenticatorVersion"), "wrong type"),
        (json!({"statusReports": []}), Some("statusReports"), "MDS BLOB entry"),
        (json!({"metadataStatement": {}}), Some("metadataStatement"), "MDS BLOB entry"),
    ];
    for (extra, field, says) in cases {
        let p = problem(&statement(extra.clone()));
        assert_eq!(p.field().as_deref(), field, "{extra}: {p}");
        assert!(p.to_string().contains(says), "{extra}: {p}");
    }
    for (bytes, says) in [
        (&b"[1]"[..], "not a JSON object"),
        (b"{\"a\":1} trailing", "not a JSON object"),
        (b"\xff", "not UTF-8"),
    ] {
        let p = problem(bytes);
        assert!(p.to_string().contains(says), "{p}");
        assert_eq!(p.field(), None);
    }
    let big = vec![b' '; crate::limits::METADATA_STATEMENT_BYTES.max + 1];
    assert!(matches!(problem(&big), StatementProblem::TooLarge { .. }));
    // The message names the file, the field and the defect.
    let e = parse_metadata_statement(&statement(json!({"aaguid": "x"})), "a/b.json").unwrap_err();
    assert!(e.to_string().starts_with("metadata statement a/b.json: `aaguid` \"x\""), "{e}");
}

#[test]
fn two_statements_for_one_model_and_too_many_files_are_refused() {
    let one = statement(serde_json::json!({}));
    let files = vec![
        ("a.json".to_string(), one.clone()),
        ("b.json".to_string(), one),
        ("c.json".to_string(), b"{".to_vec()),
    ];
    let errors = parse_metadata_statements(&files).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        errors[0],
        StatementError::DuplicateKey {
            file: "b.json".into(),
            key: format!("aaguid:{AAGUID}"),
            first: "a.json".into()
        }
    );
    assert!(matches!(&errors[1], StatementError::Invalid { file, .. } if file == "c.json"));

    let many: Vec<(String, Vec<u8>)> =
        (0..=METADATA_STATEMENT_FILES.max).map(|i| (format!("{i}.json"), Vec::new())).collect();
    assert_eq!(
        parse_metadata_statements(&many).unwrap_err(),
        [StatementError::TooManyFiles { count: 1025, max: 1024 }]
    );
    let ok = parse_metadata_statements(&files[..1]).unwrap();
    assert_eq!(ok.len(), 1);
}

/// A root whose frame is sound but whose contents are not (a corruption only the full parse
/// sees): a BLOB leaves such a root to first use, a statement file is refused at once.
#[test]
fn statement_roots_are_checked_in_full_at_load() {
    let bad = crate::mds::payload::tests::frame_only_corruption();
    let json =
        statement(serde_json::json!({"attestationRootCertificates": [STANDARD.encode(bad)]}));
    let p = problem(&json);
    assert!(matches!(p, StatementProblem::RootNotACertificate { index: 0, .. }), "{p}");
}
