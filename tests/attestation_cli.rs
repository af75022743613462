//! `mdsd attestation verify`: exit codes and the `--json` shape scripts rely on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::Command;

use mdsd_test_support::vectors::vector_json as vector;
use mdsd_test_support::SHARED;

fn mdsd(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mdsd")).args(args).output().unwrap();
    (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn yubikey_against_the_real_blob_is_trusted() {
    let v = vector("java-webauthn-server-packed-RealExamples-YubiKey5Ci");
    let blob = format!("{SHARED}/blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt");
    let (code, out) = mdsd(&[
        "attestation",
        "verify",
        "--attestation-object",
        v["attestationObject_b64url"].as_str().unwrap(),
        "--client-data-json",
        v["clientDataJSON_b64url"].as_str().unwrap(),
        "--challenge",
        v["challenge_b64url"].as_str().unwrap(),
        "--origin",
        v["origin"].as_str().unwrap(),
        "--rp-id",
        v["rpId"].as_str().unwrap(),
        "--at",
        "2024-12-15T00:00:00Z",
        "--blob",
        &blob,
        "--blob-at",
        "2024-12-15T00:00:00Z",
        "--danger-skip-revocation",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["statementValid"], true);
    assert_eq!(json["trusted"], true, "{json}");
    assert_eq!(json["format"], "packed");
    assert_eq!(json["attestationType"], "basic");
    assert_eq!(json["aaguid"], v["aaguid"]);
    assert_eq!(json["credentialKind"], "DEVICE_BOUND");
    assert_eq!(json["verdict"], "ACCEPTED");
    assert_eq!(json["attestationTrust"], "metadata");
    assert_eq!(json["ceremonyChecked"], true);
    assert_eq!(json["authenticator"]["description"], "YubiKey 5 Series with Lightning");
    assert_eq!(json["reasons"], serde_json::json!([]));
}

#[test]
fn without_a_blob_the_statement_is_valid_but_untrusted() {
    let v = vector("java-webauthn-server-packed-RealExamples-YubiKey5Ci");
    let (code, out) = mdsd(&[
        "attestation",
        "verify",
        "--attestation-object",
        v["attestationObject_b64url"].as_str().unwrap(),
        "--client-data-json",
        v["clientDataJSON_b64url"].as_str().unwrap(),
        "--at",
        "2024-12-15T00:00:00Z",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["trusted"], false);
    assert!(json["authenticator"].is_null());
    assert_eq!(json["reasons"][0]["code"], "METADATA_NOT_FOUND");
}

#[test]
fn invalid_statement_exits_1_and_bad_input_exits_2() {
    let v = vector(
        "webauthn-rs-apple-touchid-attest-apple-anonymous-fails-with-invalid-nonce-extension",
    );
    let (code, out) = mdsd(&[
        "attestation",
        "verify",
        "--attestation-object",
        v["attestationObject_b64url"].as_str().unwrap(),
        "--client-data-json",
        v["clientDataJSON_b64url"].as_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["statementValid"], false);
    assert_eq!(json["reasons"][0]["code"], "NONCE_MISMATCH");

    let (code, _) =
        mdsd(&["attestation", "verify", "--attestation-object", "!!", "--client-data-json", "e30"]);
    assert_eq!(code, 2);
    // Blob flags without --blob are a usage error.
    let (code, _) = mdsd(&[
        "attestation",
        "verify",
        "--attestation-object",
        "oA",
        "--client-data-json",
        "e30",
        "--blob-at",
        "2024-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 2);
    // A malformed attestationObject is an invalid statement.
    let (code, out) = mdsd(&[
        "attestation",
        "verify",
        "--attestation-object",
        "oA",
        "--client-data-json",
        "e30",
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
}
