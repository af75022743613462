//! `mdsd blob verify` / `mdsd blob inspect` run as a process: the exact CLI form and JSON keys
//! scripts rely on (issue #2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::{Command, Output};

use mdsd_test_support::SHARED;
use serde_json::Value;

fn data(name: &str) -> String {
    format!("{SHARED}/blobs/{name}")
}

const BLOB_2024_12: &str = "s1r-J_fido-mds3__2024-12-02__blob.jwt";
const ROOT_CRL: &str = "webauthn4j__root-r3.crl";
const EV_CRL: &str = "webauthn4j__gsextendvalsha2g3r3.crl";

fn mdsd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mdsd"))
        .args(args)
        .env("MDSD_LOG", "warn")
        .env_remove("MDSD_LOG_FORMAT")
        .output()
        .unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&output.stdout))
    })
}

#[test]
fn verify_json_with_the_real_crls() {
    let blob = data(BLOB_2024_12);
    let (root_crl, ev_crl) = (data(ROOT_CRL), data(EV_CRL));
    let out = mdsd(&[
        "blob",
        "verify",
        "--blob",
        &blob,
        "--crl",
        &root_crl,
        "--crl",
        &ev_crl,
        "--at",
        "2024-09-03T12:00:00Z",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["verified"], true);
    assert_eq!(v["no"], 121);
    assert_eq!(v["next_update"], "2025-01-01");
    assert_eq!(v["entries"], 280);
    assert_eq!(v["alg"], "RS256");
    assert_eq!(
        v["root_sha256"],
        "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"
    );
    assert_eq!(v["quarantined"], Value::Array(Vec::new()));
    assert_eq!(v["revocation_checked"], true);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["chain"].as_array().unwrap().len(), 2);
}

#[test]
fn verify_json_with_a_missing_crl_fails_at_revocation() {
    let blob = data(BLOB_2024_12);
    let root_crl = data(ROOT_CRL);
    let out = mdsd(&[
        "blob",
        "verify",
        "--blob",
        &blob,
        "--crl",
        &root_crl,
        "--at",
        "2024-09-03T12:00:00Z",
        "--json",
    ]);
    assert_ne!(out.status.code(), Some(0));
    let v = json_of(&out);
    assert_eq!(v["verified"], false);
    assert_eq!(v["error"]["step"], "revocation");
    assert!(v["error"]["message"].as_str().unwrap().contains("gsextendvalsha2g3r3.crl"));
    assert_eq!(v["no"], Value::Null);
}

#[test]
fn verify_json_with_stale_crls_fails_at_revocation() {
    let blob = data(BLOB_2024_12);
    let (root_crl, ev_crl) = (data(ROOT_CRL), data(EV_CRL));
    let out = mdsd(&[
        "blob",
        "verify",
        "--blob",
        &blob,
        "--crl",
        &root_crl,
        "--crl",
        &ev_crl,
        "--at",
        "2024-09-10T00:00:00Z",
        "--json",
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(json_of(&out)["error"]["step"], "revocation");
}

#[test]
fn danger_skip_revocation_verifies_and_says_so_loudly() {
    let blob = data(BLOB_2024_12);
    let out = mdsd(&[
        "blob",
        "verify",
        "--blob",
        &blob,
        "--danger-skip-revocation",
        "--at",
        "2024-12-03T00:00:00Z",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json_of(&out);
    assert_eq!(v["verified"], true);
    assert_eq!(v["revocation_checked"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WARN") && stderr.contains("danger-skip-revocation"), "{stderr}");
    // Text form says it too.
    let out = mdsd(&[
        "blob",
        "verify",
        "--blob",
        &blob,
        "--danger-skip-revocation",
        "--at",
        "2024-12-03T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT CHECKED"));
}

/// Staleness is reported at the verification time without changing the verdict or the exit
/// code. With the real CRLs the 2024-12 BLOB verifies inside their validity (2024-08-31 ..
/// 2024-09-07), long before its nextUpdate 2025-01-01: not stale. Past nextUpdate those CRLs
/// have expired too, so the stale case skips revocation; its signer certificate is valid until
/// 2025-07-28. It used to verify with `"stale": true` only and a vague note: now the number of
/// days past nextUpdate is given in JSON and in a `warning:` line.
#[test]
fn verify_reports_staleness_at_the_verification_time() {
    let blob = data(BLOB_2024_12);
    let (root_crl, ev_crl) = (data(ROOT_CRL), data(EV_CRL));
    let fresh = [
        "blob",
        "verify",
        "--blob",
        &blob,
        "--crl",
        &root_crl,
        "--crl",
        &ev_crl,
        "--at",
        "2024-09-03T12:00:00Z",
    ];
    let out = mdsd(&[&fresh[..], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["verified"], true);
    assert_eq!(v["stale"], false);
    assert_eq!(v["days_past_next_update"], 0);
    let out = mdsd(&fresh);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("stale"));

    // Five months past nextUpdate: still verified, exit 0, and said so.
    let stale = [
        "blob",
        "verify",
        "--blob",
        &blob,
        "--danger-skip-revocation",
        "--at",
        "2025-06-01T00:00:00Z",
    ];
    let out = mdsd(&[&stale[..], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json_of(&out);
    assert_eq!(v["verified"], true);
    assert_eq!(v["error"], Value::Null);
    assert_eq!(v["verified_at"], "2025-06-01T00:00:00Z");
    assert_eq!(v["next_update"], "2025-01-01");
    assert_eq!(v["stale"], true);
    assert_eq!(v["days_past_next_update"], 151);
    let out = mdsd(&stale);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.trim_start()
            == "warning:     nextUpdate 2025-01-01 is 151 days before the verification time \
                2025-06-01T00:00:00Z; the BLOB is stale, fetch a newer one"),
        "{text}"
    );

    // The day after nextUpdate is the first stale one.
    let out = mdsd(&[&stale[..5], &["--at", "2025-01-02T00:00:00Z", "--json"]].concat());
    let v = json_of(&out);
    assert_eq!((v["stale"].clone(), v["days_past_next_update"].clone()), (true.into(), 1.into()));
    let out = mdsd(&[&stale[..5], &["--at", "2025-01-01T23:59:59Z", "--json"]].concat());
    let v = json_of(&out);
    assert_eq!((v["stale"].clone(), v["days_past_next_update"].clone()), (false.into(), 0.into()));

    // A refusal carries the same keys, null.
    let out = mdsd(&["blob", "verify", "--blob", &blob, "--at", "2025-06-01T00:00:00Z", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(
        (v["stale"].clone(), v["days_past_next_update"].clone()),
        (Value::Null, Value::Null)
    );
}

#[test]
fn conformance_blobs_exit_non_zero_with_the_failing_step() {
    let root = data("vertx-web_FIDO2TCK__conformance_MDS3_ROOT.der");
    let (crl_root, crl_ca) = (
        data("vertx-web_FIDO2TCK__conformance_MDS3_MDSROOT.crl"),
        data("vertx-web_FIDO2TCK__conformance_MDS3_MDSCA-1.crl"),
    );
    for (file, step) in [
        ("webauthn-framework__conformance_VALID__26448d4dacea.jwt", None),
        ("webauthn-framework__conformance_BAD-SIGNATURE__36750a72e207.jwt", Some("signature")),
        ("webauthn-framework__conformance_REVOKED-LEAF__8654399fb853.jwt", Some("revocation")),
        ("webauthn-framework__conformance_WRONG-INTERMEDIATE__8341670cecc6.jwt", Some("chain")),
    ] {
        let blob = data(file);
        let out = mdsd(&[
            "blob",
            "verify",
            "--blob",
            &blob,
            "--root",
            &root,
            "--crl",
            &crl_root,
            "--crl",
            &crl_ca,
            "--at",
            "2019-06-01T00:00:00Z",
            "--json",
        ]);
        let v = json_of(&out);
        match step {
            None => {
                assert_eq!(out.status.code(), Some(0), "{file}: {v}");
                assert_eq!(v["verified"], true);
            }
            Some(step) => {
                assert_eq!(out.status.code(), Some(1), "{file}");
                assert_eq!(v["error"]["step"], step, "{file}: {v}");
            }
        }
    }
}

#[test]
fn unreadable_input_is_exit_2() {
    let out = mdsd(&["blob", "verify", "--blob", "/nonexistent/blob.jwt", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_of(&out)["error"]["step"], "input");
    let blob = data(BLOB_2024_12);
    let out = mdsd(&["blob", "verify", "--blob", &blob, "--at", "yesterday", "--json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn inspect_lists_entries_as_table_and_json() {
    let blob = data(BLOB_2024_12);
    let args = ["blob", "inspect", "--blob", &blob, "--danger-skip-revocation", "--at"];
    let out = mdsd(&[&args[..], &["2024-12-03T00:00:00Z", "--json"]].concat());
    assert_eq!(out.status.code(), Some(0));
    let rows = json_of(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 280);
    let yubikey = rows
        .iter()
        .find(|r| r["aaguid"] == "cb69481e-8ff7-4039-93ec-0a2729a154a8")
        .expect("YubiKey 5 entry");
    assert!(yubikey["description"].as_str().unwrap().contains("YubiKey"));
    assert!(yubikey["status"].as_str().unwrap().starts_with("FIDO_CERTIFIED"));
    assert!(rows.iter().any(|r| r["aaid"].is_string()));
    assert!(rows.iter().any(|r| !r["key_identifiers"].as_array().unwrap().is_empty()));

    let out = mdsd(&[&args[..], &["2024-12-03T00:00:00Z"]].concat());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("ID") && header.contains("STATUS") && header.contains("DESCRIPTION")
    );
    assert!(text.contains("cb69481e-8ff7-4039-93ec-0a2729a154a8"));
    assert_eq!(text.lines().count(), 280 + 2);

    // A BLOB that does not verify is not listed.
    let out = mdsd(&["blob", "inspect", "--blob", &blob, "--at", "2024-12-03T00:00:00Z", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_of(&out)["error"]["step"], "revocation");
}
