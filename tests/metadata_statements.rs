//! Issue #15, local metadata statements, end to end (the in-process daemon on the test MDS, and
//! the `mdsd attestation verify` binary): a private model described by an operator's statement
//! is trusted through its own roots and only them, marked OPERATOR_STATEMENT with its file;
//! a statement for a model the MDS lists is shadowed (the MDS entry, REVOKED, answers); under
//! attestation enforcement only a profile whose `metadata_origins` lists "operator" accepts it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

use mdsd::daemon::config::RawConfig;
use mdsd::daemon::proto::get_authenticator_request::Key;
use mdsd::daemon::proto::{
    registered_credential, CheckCredentialsRequest, GetAuthenticatorRequest,
    GetMetadataInfoRequest, OriginKind, RegisteredCredential, Verdict, VerifyRegistrationRequest,
    VerifyRegistrationResponse,
};
use mdsd::daemon::server::start;
use mdsd::daemon::statements::Statements;
use mdsd_test_support::attestation::{self as gen, EntrySpec, Fmt, Made, Opts};
use mdsd_test_support::b64_std;
use mdsd_test_support::grpc::{client, wait_for_no};
use mdsd_test_support::http::http_get;
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use mdsd_test_support::pki::Issued;
use serde_json::{json, Value};
use uuid::Uuid;

/// The private model: not in any BLOB.
const PRIVATE: &str = "5e0a1c1d-2f3b-4c6d-8e9f-a0b1c2d3e4f5";
/// A model the MDS lists (REVOKED).
const LISTED: &str = "7a9b8c7d-6e5f-4a3b-9c2d-1e0f2a3b4c5d";

/// The registrations, each under a fresh root of its own: the private model (its root is the
/// operator's), the private AAGUID under another CA, the listed model under its MDS root, and
/// the listed model under a root only an operator's statement names.
struct Pki {
    private: Made,
    elsewhere: Made,
    listed: Made,
    listed_own: Made,
}

fn pki() -> Pki {
    Pki {
        private: packed(PRIVATE),
        elsewhere: packed(PRIVATE),
        listed: packed(LISTED),
        listed_own: packed(LISTED),
    }
}

/// A packed registration for `aaguid`, its attestation certificate issued by a fresh root.
fn packed(aaguid: &str) -> Made {
    let opts = Opts { aaguid: Uuid::parse_str(aaguid).unwrap(), ..Opts::default() };
    gen::make(Fmt::Packed, &opts, None)
}

/// A metadata statement (FIDO Metadata Statement §4) for `aaguid` with `root` as its only
/// attestation root; a PIN and discoverable credentials, as Entra's check reads them.
fn statement(aaguid: &str, description: &str, root: &Issued) -> Value {
    json!({
        "legalHeader": "Example Corp internal",
        "aaguid": aaguid,
        "description": description,
        "authenticatorVersion": 1,
        "protocolFamily": "fido2",
        "schema": 3,
        "upv": [{"major": 1, "minor": 1}],
        "attestationTypes": ["basic_full"],
        "attestationRootCertificates": [b64_std(&root.der)],
        "userVerificationDetails": [[{"userVerificationMethod": "passcode_external"}]],
        "authenticatorGetInfo": {"versions": ["FIDO_2_1"],
                                 "options": {"rk": true, "clientPin": true}},
    })
}

/// The MDS lists LISTED under its own root, REVOKED since 2024.
fn listed_entry(pki: &Pki) -> Value {
    let mut spec =
        EntrySpec::new(Some(LISTED.parse().unwrap()), "Listed key", vec![&pki.listed.root]);
    spec.status = vec![("FIDO_CERTIFIED_L1", "2020-01-01", None), ("REVOKED", "2024-01-01", None)];
    spec.json()
}

fn request(made: &Made, groups: &[&str]) -> VerifyRegistrationRequest {
    VerifyRegistrationRequest {
        attestation_object: made.attestation_object.clone(),
        client_data_json: made.client_data_json.clone(),
        user_groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    }
}

fn codes(r: &VerifyRegistrationResponse) -> Vec<&str> {
    r.reasons.iter().map(|r| r.code.as_str()).collect()
}

/// `strict`: attestation enforced, default metadata_origins (mds, blob). `private`: the same
/// with operator statements allowed.
const PROFILES: &str = r#"
[policy]
[[policy.profiles]]
name = "strict"
include_groups = ["strict"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]

[[policy.profiles]]
name = "private"
include_groups = ["private"]
attestation_enforcement = "registration_only"
passkey_types = ["device_bound"]
metadata_origins = ["mds", "operator"]
"#;

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// The issue's done-when, through the gRPC server: without the statement the private model is
/// unknown; with it, trusted through its own root only, answered as OPERATOR_STATEMENT; a
/// statement for a listed model is shadowed and the MDS entry (REVOKED) answers; enforcement
/// accepts it only where `metadata_origins` lists "operator"; a bad file on SIGHUP keeps the
/// statements in force.
#[tokio::test]
async fn a_private_model_is_trusted_through_its_own_roots_and_only_them() {
    let env = MdsEnv::start("statements").await;
    let pki = pki();
    env.serve_blob(8, env.blob(8, in_days(30), vec![listed_entry(&pki)]));
    let (private, elsewhere) = (&pki.private, &pki.elsewhere);

    // (a) No statement: the private model is not in the metadata.
    let running = start(env.config()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 8).await;
    let r = api.verify_registration(request(private, &[])).await.unwrap().into_inner();
    assert_eq!(r.verdict(), Verdict::Rejected);
    assert!(codes(&r).contains(&"METADATA_NOT_FOUND"), "{:?}", r.reasons);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert_eq!(info.operator_statements, None);
    running.shutdown().await;

    // The statements: the private model, and one claiming the listed model with the
    // operator's root (in a directory, read in name order).
    let dir = env.dir.join("statements");
    std::fs::create_dir_all(&dir).unwrap();
    write_json(&dir.join("private.json"), &statement(PRIVATE, "Example Corp key", &private.root));
    write_json(&dir.join("z-listed.json"), &statement(LISTED, "Our key", &pki.listed_own.root));
    std::fs::write(dir.join("README.txt"), "not a statement").unwrap();
    let mut raw = RawConfig::from_toml_str(PROFILES).unwrap().overlay(env.raw_config());
    raw.metadata_statements = vec![dir.clone()];
    let running = start(raw.check().unwrap()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 8).await;

    // (b) Trusted through the statement's root, marked operator-provided with its file.
    let r = api.verify_registration(request(private, &[])).await.unwrap().into_inner();
    assert_eq!(r.verdict(), Verdict::Accepted, "{:?}", r.reasons);
    let a = r.authenticator.clone().unwrap();
    assert!(a.verified);
    assert_eq!(a.description, "Example Corp key");
    let origin = a.origin.unwrap();
    assert_eq!(origin.kind(), OriginKind::OperatorStatement);
    assert_eq!(origin.source, "private.json");
    let anchor = r.anchor.unwrap();
    assert!(anchor.label.starts_with("operator statement attestation root"), "{}", anchor.label);
    let found = api
        .get_authenticator(GetAuthenticatorRequest { key: Some(Key::Aaguid(PRIVATE.into())) })
        .await
        .unwrap()
        .into_inner()
        .authenticator
        .unwrap();
    assert_eq!(found.origin.unwrap().kind(), OriginKind::OperatorStatement);
    assert_eq!(found.current_status, "", "a statement has no status reports");
    let entry_json: Value = serde_json::from_str(&found.entry_json).unwrap();
    assert_eq!(entry_json["metadataStatement"]["aaguid"], PRIVATE);
    let checked = api
        .check_credentials(CheckCredentialsRequest {
            credentials: vec![RegisteredCredential {
                authenticator: Some(registered_credential::Authenticator::Aaguid(PRIVATE.into())),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let origin = checked.results[0].origin.clone().unwrap();
    assert_eq!(
        (origin.kind(), origin.source.as_str()),
        (OriginKind::OperatorStatement, "private.json")
    );

    // (c) The same AAGUID chained to another CA: not trusted (its own roots only).
    let r = api.verify_registration(request(elsewhere, &[])).await.unwrap().into_inner();
    assert_eq!(r.verdict(), Verdict::Rejected);
    assert!(!r.trusted);
    assert!(codes(&r).contains(&"UNTRUSTED_CHAIN"), "{:?}", r.reasons);

    // (d) The statement for the listed model is shadowed: the MDS entry answers, REVOKED, and
    // the statement's root does not make the model's attestations trusted.
    let r = api.verify_registration(request(&pki.listed_own, &[])).await.unwrap().into_inner();
    assert_eq!(r.verdict(), Verdict::Rejected);
    assert!(codes(&r).contains(&"UNTRUSTED_CHAIN"), "{:?}", r.reasons);
    let a = r.authenticator.unwrap();
    assert_eq!(a.origin.unwrap().kind(), OriginKind::FidoMds);
    assert_eq!(a.status, "REVOKED");
    let r = api.verify_registration(request(&pki.listed, &[])).await.unwrap().into_inner();
    assert_eq!(r.verdict(), Verdict::Rejected);
    assert!(codes(&r).contains(&"STATUS_REFUSED"), "{:?}", r.reasons);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    let statements = info.operator_statements.unwrap();
    let summary: Vec<(&str, bool, Vec<String>)> = statements
        .statements
        .iter()
        .map(|s| (s.file.as_str(), s.shadowed, s.shadowed_keys.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("private.json", false, vec![]),
            ("z-listed.json", true, vec![format!("aaguid:{LISTED} by mds")]),
        ]
    );
    assert_eq!(statements.statements[0].keys, [format!("aaguid:{PRIVATE}")]);
    assert_eq!(statements.last_reload_error, "");
    // The operator commands show the same: `mdsd info` and `mdsd lookup`.
    let target = running.grpc_addr.unwrap().to_string();
    let info = tokio::task::spawn_blocking({
        let target = target.clone();
        move || mdsd(&["info", "--json", "--target", &target])
    })
    .await
    .unwrap();
    assert_eq!(info.0, 0, "{}", info.1);
    assert_eq!(info.1["operator_statements"]["statements"][1]["shadowed"], true, "{}", info.1);
    let (code, lookup) = tokio::task::spawn_blocking(move || {
        mdsd(&["lookup", PRIVATE, "--json", "--target", &target])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{lookup}");
    assert_eq!(
        lookup["origin"],
        json!({"kind": "OPERATOR_STATEMENT", "source": "private.json"}),
        "{lookup}"
    );
    let metrics = http_get(running.admin_addr.unwrap(), "/metrics").await;
    assert!(metrics.contains("\nmdsd_operator_statements 2\n"), "{metrics}");

    // (e) Enforcement: the default metadata_origins refuses the operator entry; a profile
    // that lists "operator" accepts it (its statement shows UV and resident keys).
    let r = api.verify_registration(request(private, &["strict"])).await.unwrap().into_inner();
    let decision = r.policy.unwrap();
    assert!(!decision.allowed);
    let failures: Vec<&str> =
        decision.outcomes[0].failures.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(failures, ["METADATA_ORIGIN_NOT_ALLOWED", "METADATA_NOT_CERTIFIED"]);
    let r = api.verify_registration(request(private, &["private"])).await.unwrap().into_inner();
    let decision = r.policy.unwrap();
    assert!(decision.allowed, "{decision:?}");
    assert_eq!(decision.profile, "private");

    // SIGHUP: a bad file refuses the reload (the statements in force stay) ...
    write_json(&dir.join("private.json"), &json!({"aaguid": PRIVATE}));
    let shared = running.shared.clone();
    let errors = Statements::reload(&shared, shared.now()).unwrap_err();
    assert!(errors[0].contains("private.json") && errors[0].contains("description"), "{errors:?}");
    let r = api.verify_registration(request(private, &[])).await.unwrap().into_inner();
    assert_eq!(r.verdict(), Verdict::Accepted);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    assert!(info.operator_statements.unwrap().last_reload_error.contains("private.json"));
    // ... and a good set replaces the old whole: the private model is gone.
    std::fs::remove_file(dir.join("private.json")).unwrap();
    assert_eq!(Statements::reload(&shared, shared.now()), Ok(1));
    let r = api.verify_registration(request(private, &[])).await.unwrap().into_inner();
    assert!(codes(&r).contains(&"METADATA_NOT_FOUND"), "{:?}", r.reasons);
    running.shutdown().await;
}

/// Start is refused on a bad statement, and the error names the file and the field.
#[tokio::test]
async fn a_bad_statement_refuses_start_with_its_file_and_field() {
    let env = MdsEnv::start("statements-bad").await;
    let pki = pki();
    let bad = env.dir.join("bad.json");
    let mut s = statement(PRIVATE, "Example Corp key", &pki.private.root);
    s["attestationRootCertificates"] = json!([b64_std(b"not a certificate")]);
    write_json(&bad, &s);
    let dup = env.dir.join("dup.json");
    write_json(&dup, &statement(PRIVATE, "again", &pki.private.root));
    let good = env.dir.join("good.json");
    write_json(&good, &statement(PRIVATE, "Example Corp key", &pki.private.root));
    let mut raw = env.raw_config();
    raw.metadata_statements = vec![bad, env.dir.join("missing.json")];
    // Every error at once: the file that cannot be read, and the one that is wrong.
    let errors = raw.check().unwrap_err().errors;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.starts_with("metadata_statements: ")), "{errors:?}");
    assert!(errors[0].contains("missing.json"), "{errors:?}");
    assert!(errors[1].contains("bad.json"), "{errors:?}");
    let mut raw = env.raw_config();
    raw.metadata_statements = vec![env.dir.join("bad.json")];
    let errors = raw.check().unwrap_err().errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "metadata_statements: metadata statement bad.json: `attestationRootCertificates[0]` \
             is not a certificate: "
        ),
        "{errors:?}"
    );
    let mut raw = env.raw_config();
    raw.metadata_statements = vec![good, dup];
    let errors = raw.check().unwrap_err().errors;
    assert_eq!(
        errors,
        [format!(
            "metadata_statements: metadata statement dup.json: aaguid:{PRIVATE} is already \
             described by good.json"
        )]
    );
}

fn mdsd(args: &[&str]) -> (i32, Value) {
    let (code, json, _) = mdsd_stderr(args);
    (code, json)
}

/// The exit code, stdout as JSON, and stderr.
fn mdsd_stderr(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mdsd")).args(args).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), json, stderr)
}

/// The same through `mdsd attestation verify --metadata-statement`: the loader and merge of
/// the daemon, the origin in the JSON, its own roots only, the listed model's MDS entry.
#[tokio::test]
async fn the_cli_reads_statements_as_the_daemon_does() {
    let env = MdsEnv::start("statements-cli").await;
    let pki = pki();
    let blob = env.dir.join("blob.jwt");
    std::fs::write(&blob, env.blob(8, in_days(30), vec![listed_entry(&pki)])).unwrap();
    let statement_file = env.dir.join("private.json");
    write_json(&statement_file, &statement(PRIVATE, "Example Corp key", &pki.private.root));
    let listed_file = env.dir.join("listed.json");
    write_json(&listed_file, &statement(LISTED, "Our key", &pki.listed_own.root));
    let root = env.dir.join("root.pem");
    let verify = |made: &Made, statements: &[&Path]| {
        let ao = mdsd_test_support::b64url(&made.attestation_object);
        let cd = mdsd_test_support::b64url(&made.client_data_json);
        let mut args = vec![
            "attestation".to_string(),
            "verify".into(),
            "--attestation-object".into(),
            ao,
            "--client-data-json".into(),
            cd,
            "--blob".into(),
            blob.display().to_string(),
            "--mds-root".into(),
            root.display().to_string(),
            "--danger-skip-revocation".into(),
            "--json".into(),
        ];
        for s in statements {
            args.push("--metadata-statement".into());
            args.push(s.display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        mdsd_stderr(&args)
    };
    let codes = |v: &Value| -> Vec<String> {
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().into())
            .collect()
    };
    let private = &pki.private;

    let (code, v, _) = verify(private, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "REJECTED");
    assert!(codes(&v).contains(&"METADATA_NOT_FOUND".to_string()), "{v}");

    let (code, v, stderr) = verify(private, &[&statement_file, &listed_file]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "ACCEPTED", "{v}");
    assert_eq!(
        v["authenticator"]["origin"],
        json!({"kind": "OPERATOR_STATEMENT", "source": "private.json"})
    );
    assert!(
        stderr.contains(&format!(
            "warning: --metadata-statement listed.json: aaguid:{LISTED} is listed by mds"
        )),
        "{stderr}"
    );

    let (_, v, _) = verify(&pki.elsewhere, &[&statement_file]);
    assert_eq!(v["verdict"], "REJECTED", "{v}");
    assert!(codes(&v).contains(&"UNTRUSTED_CHAIN".to_string()), "{v}");

    let (_, v, _) = verify(&pki.listed_own, &[&listed_file]);
    assert_eq!(v["verdict"], "REJECTED", "{v}");
    assert_eq!(v["authenticator"]["origin"]["kind"], "FIDO_MDS", "{v}");
    assert_eq!(v["authenticator"]["status"], "REVOKED", "{v}");

    // A bad statement is an input error (exit 2) naming the file and the field.
    std::fs::write(&statement_file, b"{\"aaguid\": 5}").unwrap();
    let (code, v, _) = verify(private, &[&statement_file]);
    assert_eq!(code, 2, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("private.json") && message.contains("`description`"), "{message}");
}
