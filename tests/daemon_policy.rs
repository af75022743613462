//! Issue #5 over gRPC, end to end against the in-process daemon and the test MDS
//! (mdsd_test_support::mds_env): a refresh that marks a registered model REVOKED is reported by
//! CheckCredentials and by the WatchStatusChanges stream; every CheckCredentials reason code and
//! its batch limits; replay with `since_no`; per-request profiles; `[policy]` reload from the
//! config file (valid → new decisions; invalid → old kept and reported in GetMetadataInfo, the
//! log and `mdsd_policy_reload_total`).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mdsd::daemon::config::RawConfig;
use mdsd::daemon::policy_reload::ReloadOutcome;
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    registered_credential, ChangeKind, CheckCredentialsRequest, EvaluateAuthenticationRequest,
    GetMetadataInfoRequest, RegisteredCredential, VerifyRegistrationRequest,
    WatchStatusChangesRequest,
};
use mdsd::daemon::server::start;
use mdsd_test_support::grpc::{client, wait_for_no};
use mdsd_test_support::http::http_get;
use mdsd_test_support::mds_env::{self, in_days, MdsEnv};
use mdsd_test_support::vectors::vector_json as vector;
use mdsd_test_support::{b64, blob, pki, shared};
use serde_json::{json, Value};
use tonic::transport::Channel;
use tonic::Code;
use tonic_types::StatusExt;

const PACKED_ES256: &str = "w3c-packed-es256";
const RETIRED: &str = "11111111-1111-4111-8111-111111111111";
const UPDATE: &str = "22222222-2222-4222-8222-222222222222";
const BATCH: &str = "33333333-3333-4333-8333-333333333333";
const MODEL_AKC: &str = "44444444-4444-4444-8444-444444444444";
const ABSENT: &str = "55555555-5555-4555-8555-555555555555";

fn w3c_aaguid() -> String {
    vector(PACKED_ES256)["aaguid"].as_str().unwrap().to_string()
}

/// The W3C packed vector's model with the given status reports.
fn w3c_entry(reports: Value) -> Value {
    let root = shared::read("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let mut entry = blob::fido2_entry(&w3c_aaguid(), "FIDO_CERTIFIED_L1");
    entry["metadataStatement"]["description"] = json!("W3C test authenticator");
    entry["metadataStatement"]["attestationRootCertificates"] = json!([STANDARD.encode(root)]);
    entry["statusReports"] = reports;
    entry
}

fn entry(aaguid: &str, reports: Value) -> Value {
    let mut e = blob::fido2_entry(aaguid, "FIDO_CERTIFIED_L1");
    e["statusReports"] = reports;
    e
}

fn certified() -> Value {
    json!({"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"})
}

fn registration() -> VerifyRegistrationRequest {
    let v = vector(PACKED_ES256);
    VerifyRegistrationRequest {
        attestation_object: b64(&v["attestationObject_b64url"]),
        client_data_json: b64(&v["clientDataJSON_b64url"]),
        ..Default::default()
    }
}

fn credential(aaguid: &str, fingerprints: &[String], id: &[u8]) -> RegisteredCredential {
    RegisteredCredential {
        authenticator: Some(registered_credential::Authenticator::Aaguid(aaguid.into())),
        attestation_sha256: fingerprints.to_vec(),
        registered_at: Some(prost_types::Timestamp { seconds: 1_600_000_000, nanos: 0 }),
        credential_id: id.to_vec(),
        ..Default::default()
    }
}

fn codes(check: &mdsd::daemon::proto::CredentialCheck) -> Vec<&str> {
    check.reasons.iter().map(|r| r.code.as_str()).collect()
}

/// The "must show": a refresh marks the registered W3C model REVOKED; the watch stream
/// reports the change and CheckCredentials the credential; every other reason code comes from
/// the same BLOB; replay with since_no; limits.
#[tokio::test]
async fn revocation_reaches_check_credentials_and_the_watch_stream() {
    let env = MdsEnv::start("policy-revoke").await;
    let batch = pki::root("compromised batch");
    let batch_fp = hex::encode(ring::digest::digest(&ring::digest::SHA256, &batch.der));
    let update_reports = json!([
        certified(),
        {"status": "USER_VERIFICATION_BYPASS", "effectiveDate": "2024-01-01"},
        {"status": "UPDATE_AVAILABLE", "effectiveDate": "2024-06-01", "authenticatorVersion": 5},
    ]);
    let others = vec![
        entry(RETIRED, json!([certified(), {"status": "RETIRED", "effectiveDate": "2024-01-01"}])),
        entry(UPDATE, update_reports),
        entry(
            BATCH,
            json!([certified(), {"status": "ATTESTATION_KEY_COMPROMISE",
                "effectiveDate": "2024-01-01", "certificate": STANDARD.encode(&batch.der)}]),
        ),
        entry(
            MODEL_AKC,
            json!([certified(), {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2024-01-01"}]),
        ),
    ];
    let mut first = vec![w3c_entry(json!([certified()]))];
    first.extend(others.clone());
    env.serve_blob(10, env.blob(10, in_days(30), first));
    let running = start(env.config()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 10).await;

    // Registration: store what CheckCredentials needs (AAGUID, x5c fingerprints).
    let r = api.verify_registration(registration()).await.unwrap().into_inner();
    assert!(r.trusted, "{:?}", r.reasons);
    let stored = credential(&r.aaguid, &r.trust_path, b"cred-1");
    let check = |creds: Vec<RegisteredCredential>| CheckCredentialsRequest {
        credentials: creds,
        ..Default::default()
    };
    let before = api.check_credentials(check(vec![stored.clone()])).await.unwrap().into_inner();
    assert_eq!(before.metadata_no, 10);
    assert!(before.results[0].trusted, "{:?}", before.results[0]);
    assert_eq!(before.results[0].credential_id, b"cred-1");

    // Subscribe, then the MDS revokes the model and the daemon refreshes.
    let mut stream = api
        .watch_status_changes(WatchStatusChangesRequest { since_no: None, since_sequence: None })
        .await
        .unwrap()
        .into_inner();
    let mut second = vec![w3c_entry(
        json!([certified(), {"status": "REVOKED", "effectiveDate": in_days(-1).to_string()}]),
    )];
    second.extend(others);
    env.serve_blob(11, env.blob(11, in_days(30), second));
    running.shared.trigger_refresh();
    let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("no watch event within 10 s")
        .unwrap()
        .unwrap();
    assert_eq!((event.metadata_no, event.previous_no, event.replayed), (11, 10, false));
    assert_eq!(event.changes.len(), 1, "{:?}", event.changes);
    let change = &event.changes[0];
    assert_eq!(change.kind, ChangeKind::StatusChanged as i32);
    assert_eq!(change.aaguid, w3c_aaguid());
    assert_eq!(
        (change.old_status.as_str(), change.new_status.as_str()),
        ("FIDO_CERTIFIED_L1", "REVOKED")
    );
    assert_eq!(change.effective_date, in_days(-1).to_string());
    assert_eq!(change.description, "W3C test authenticator");

    // CheckCredentials, one credential per reason code.
    let creds = vec![
        stored.clone(),
        credential(RETIRED, &[], b"retired"),
        credential(UPDATE, &[], b"update"),
        credential(BATCH, std::slice::from_ref(&batch_fp), b"batch-hit"),
        credential(BATCH, &["ab".repeat(32)], b"batch-other"),
        credential(BATCH, &[], b"batch-unknown"),
        credential(MODEL_AKC, &[], b"model"),
        credential(ABSENT, &[], b"absent"),
    ];
    let after = api.check_credentials(check(creds)).await.unwrap().into_inner();
    assert_eq!(after.metadata_no, 11);
    let res = &after.results;
    assert_eq!(codes(&res[0]), ["REVOKED"]);
    assert!(!res[0].trusted && res[0].changed_since_registration);
    assert_eq!(res[0].current_status, "REVOKED");
    assert_eq!(res[0].credential_id, b"cred-1");
    assert_eq!(codes(&res[1]), ["RETIRED"]);
    assert_eq!(codes(&res[2]), ["SECURITY_UPDATE_AVAILABLE"]);
    assert_eq!(codes(&res[3]), ["BATCH_KEY_COMPROMISED"]);
    assert!(res[4].trusted, "another batch of the model: {:?}", res[4]);
    assert_eq!(codes(&res[5]), ["BATCH_KEY_COMPROMISE_UNVERIFIABLE"]);
    assert_eq!(codes(&res[6]), ["ATTESTATION_KEY_COMPROMISE"]);
    assert_eq!(codes(&res[7]), ["NOT_IN_METADATA"]);
    assert!(res.iter().enumerate().all(|(i, r)| r.index as usize == i));
    assert!(res.iter().all(|r| r.reasons.iter().all(|x| !x.message.is_empty())));

    // Replay for a client that processed no 10; none for no 11; not retained for no 3.
    let mut replay = api
        .watch_status_changes(WatchStatusChangesRequest {
            since_no: Some(10),
            since_sequence: None,
        })
        .await
        .unwrap()
        .into_inner();
    let e = replay.message().await.unwrap().unwrap();
    assert_eq!((e.metadata_no, e.replayed, e.changes.len()), (11, true, 1));
    let err = api
        .watch_status_changes(WatchStatusChangesRequest { since_no: Some(3), since_sequence: None })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(err.get_error_details().error_info().unwrap().reason, "DIFF_NOT_RETAINED");
    let err = api
        .watch_status_changes(WatchStatusChangesRequest {
            since_no: Some(12),
            since_sequence: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    // Limits: empty, more than 10,000, malformed entries name their field.
    let err = api.check_credentials(check(vec![])).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let many = vec![credential(RETIRED, &[], b""); 10_001];
    let err = api.check_credentials(check(many)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("10000"), "{}", err.message());
    let ok = api
        .check_credentials(check(vec![credential(RETIRED, &[], b""); 10_000]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.results.len(), 10_000);
    let field = |err: tonic::Status| {
        err.get_error_details().bad_request().unwrap().field_violations[0].field.clone()
    };
    let bad = credential(RETIRED, &["zz".into()], b"");
    let err = api.check_credentials(check(vec![stored.clone(), bad])).await.unwrap_err();
    assert_eq!(field(err), "credentials[1].attestation_sha256[0]");
    let mut bad = stored.clone();
    bad.authenticator = None;
    assert_eq!(
        field(api.check_credentials(check(vec![bad])).await.unwrap_err()),
        "credentials[0].authenticator"
    );
    let bad = credential(RETIRED, &vec!["ab".repeat(32); 9], b"");
    assert_eq!(
        field(api.check_credentials(check(vec![bad])).await.unwrap_err()),
        "credentials[0].attestation_sha256"
    );
    // A policy decision needs a [policy].
    let mut req = check(vec![stored]);
    req.user_groups = vec!["staff".into()];
    assert_eq!(api.check_credentials(req).await.unwrap_err().code(), Code::FailedPrecondition);
    running.shutdown().await;
}

const PROFILES: &str = mdsd_test_support::policy::TWO_PROFILES_TOML;

/// Per-request profile; reload by file watch and by an explicit reload (what SIGHUP calls):
/// valid → new decisions; invalid → old profiles kept, error reported.
#[tokio::test]
async fn profiles_per_request_and_reloaded_from_the_config_file() {
    let env = MdsEnv::start("policy-reload").await;
    env.serve_blob(6, env.blob(6, in_days(30), vec![w3c_entry(json!([certified()]))]));
    let path = env.dir.join("mdsd.toml");
    std::fs::write(&path, PROFILES).unwrap();
    let raw = RawConfig::from_toml_file(&path).unwrap().overlay(env.raw_config());
    let running = start(raw.check().unwrap()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 6).await;

    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    let policy = info.policy.unwrap();
    assert_eq!(policy.generation, 1);
    assert_eq!(policy.profiles, ["privileged", "workforce"]);
    assert_eq!(policy.sha256.len(), 64);
    assert_eq!(policy.config_file, path.display().to_string());

    // Per-request profile: judged against that profile only, whatever the groups.
    let with_profile = |profile: &str| {
        let mut r = registration();
        r.profile = profile.into();
        r
    };
    let r = api.verify_registration(with_profile("workforce")).await.unwrap().into_inner();
    let decision = r.policy.unwrap();
    assert!(decision.allowed, "{decision:?}");
    assert_eq!(decision.profile, "workforce");
    assert_eq!(decision.outcomes.len(), 1);
    let err = api.verify_registration(with_profile("nobody")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let violation = err.get_error_details().bad_request().unwrap().field_violations[0].clone();
    assert_eq!(violation.field, "profile");
    assert!(violation.description.contains("privileged, workforce"), "{}", violation.description);
    let sign_in = |profile: &str, groups: &[&str]| EvaluateAuthenticationRequest {
        aaguid: w3c_aaguid(),
        flags: 0x1d, // UP UV BE BS: synced
        registration_trust: "metadata".into(),
        user_groups: groups.iter().map(|g| g.to_string()).collect(),
        profile: profile.into(),
    };
    let d = api.evaluate_authentication(sign_in("privileged", &["staff"])).await.unwrap();
    let d = d.into_inner().policy.unwrap();
    assert!(!d.allowed, "synced refused by the named device-bound profile: {d:?}");
    assert_eq!(d.outcomes[0].profile, "privileged");
    let err = api.evaluate_authentication(sign_in("nobody", &[])).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let staff_synced = |api: &mut AttestationServiceClient<Channel>| {
        let mut api = api.clone();
        async move { api.evaluate_authentication(sign_in("", &["staff"])).await.unwrap().into_inner() }
    };
    assert!(staff_synced(&mut api).await.policy.unwrap().allowed);

    // A valid change, picked up by the file watch: workforce becomes device-bound only.
    let tightened = PROFILES.replace(
        "passkey_types = [\"device_bound\", \"synced\"]",
        "passkey_types = [\"device_bound\"]\nrequire_user_verification = true",
    );
    std::fs::write(&path, &tightened).unwrap();
    let mut generation = 1;
    for _ in 0..100 {
        let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
        generation = info.policy.unwrap().generation;
        if generation == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(generation, 2, "the file watch did not reload");
    let d = staff_synced(&mut api).await.policy.unwrap();
    assert!(!d.allowed, "new profiles decide: {d:?}");

    // An invalid file: the old profiles stay, the error is reported everywhere.
    std::fs::write(&path, tightened.replace("device_bound\"]\nrequire", "bogus_type\"]\nrequire"))
        .unwrap();
    let mut policy = None;
    for _ in 0..100 {
        let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
        let p = info.policy.unwrap();
        if !p.last_reload_error.is_empty() {
            policy = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let policy = policy.expect("the invalid file was not reported");
    assert!(policy.last_reload_error.contains("bogus_type"), "{}", policy.last_reload_error);
    assert_eq!(policy.generation, 2);
    assert!(policy.last_reload_at.is_some());
    assert!(!staff_synced(&mut api).await.policy.unwrap().allowed, "old (tightened) set kept");
    let metrics = http_get(running.admin_addr.unwrap(), "/metrics").await;
    assert!(metrics.contains("mdsd_policy_reload_total{outcome=\"error\"} 1"), "{metrics}");
    assert!(metrics.contains("mdsd_policy_reload_total{outcome=\"success\"} 1"), "{metrics}");

    // The explicit reload (SIGHUP's path) restores the original file's profiles.
    std::fs::write(&path, PROFILES).unwrap();
    let outcome = running.policy.reload();
    assert!(
        matches!(outcome, ReloadOutcome::Reloaded { generation: 3 }) ||
        // The watch may have got there first.
        matches!(outcome, ReloadOutcome::Unchanged),
        "{outcome:?}"
    );
    assert!(staff_synced(&mut api).await.policy.unwrap().allowed);
    let info = api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    let policy = info.policy.unwrap();
    assert_eq!((policy.generation, policy.last_reload_error.as_str()), (3, ""));
    running.shutdown().await;
}

/// The real binary: SIGHUP re-reads `[policy]`. The edit keeps the file's size and mtime, so the
/// file watch cannot see it (checked first): only the signal can have reloaded it.
#[tokio::test]
async fn sighup_reloads_the_policy_of_the_running_binary() {
    use std::process::{Command, Stdio};
    let env = MdsEnv::start("policy-sighup").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = env.dir.join("mdsd.toml");
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\nadmin_listen = \"off\"\nmds_url = \"{}\"\nmds_roots = [\"{}\"]\nstate_dir = \"{}\"\n{PROFILES}",
        env.server.url(mds_env::BLOB_PATH),
        env.dir.join("root.pem").display(),
        env.state_dir().display(),
    );
    std::fs::write(&config, &text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mdsd"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("MDSD_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut api = None;
    for _ in 0..200 {
        let url = format!("http://127.0.0.1:{port}");
        if let Ok(channel) = Channel::from_shared(url).unwrap().connect().await {
            api = Some(AttestationServiceClient::new(channel));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut api = api.expect("the daemon never listened");
    let policy = |info: mdsd::daemon::proto::GetMetadataInfoResponse| info.policy.unwrap();
    let first =
        policy(api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner());
    assert_eq!(
        (first.generation, first.profiles.clone()),
        (1, vec!["privileged".to_string(), "workforce".into()])
    );

    let mtime = std::fs::metadata(&config).unwrap().modified().unwrap();
    let edited = text.replace("\"workforce\"", "\"workforcf\"");
    assert_eq!(edited.len(), text.len());
    std::fs::write(&config, &edited).unwrap();
    std::fs::File::options().write(true).open(&config).unwrap().set_modified(mtime).unwrap();
    tokio::time::sleep(mdsd::daemon::policy_reload::WATCH_INTERVAL * 2).await;
    let unseen =
        policy(api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner());
    assert_eq!(unseen.generation, 1, "the watch saw a same-size same-mtime edit");

    let pid = child.id();
    let kill = |sig: &str| {
        assert!(Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success())
    };
    kill("-HUP");
    let mut reloaded = None;
    for _ in 0..100 {
        let p =
            policy(api.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner());
        if p.generation == 2 {
            reloaded = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reloaded = reloaded.expect("SIGHUP did not reload [policy]");
    assert_eq!(reloaded.profiles, ["privileged", "workforcf"]);
    assert_ne!(reloaded.sha256, first.sha256);

    // Close the client first (graceful shutdown waits for open connections), drain stderr on
    // a thread (a full pipe would block the daemon), and never block this runtime.
    drop(api);
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut logs).unwrap();
        logs
    });
    kill("-TERM");
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(exit.code(), Some(0));
    let logs = logs.join().unwrap();
    assert!(logs.contains("SIGHUP: refresh and policy reload requested"), "{logs}");
    assert!(logs.contains("passkey profiles reloaded"), "{logs}");
}

/// A watch stream lives longer than the per-call `request_timeout` (the timeout bounds the
/// unary part, not the stream), and a sign-in decision comes with each CheckCredentials result
/// when groups are given.
#[tokio::test]
async fn watch_outlives_request_timeout_and_check_credentials_decides_per_groups() {
    let env = MdsEnv::start("policy-stream").await;
    env.serve_blob(1, env.blob(1, in_days(30), vec![w3c_entry(json!([certified()]))]));
    let mut raw = RawConfig::from_toml_str(PROFILES).unwrap().overlay(env.raw_config());
    raw.request_timeout = Some("1s".into());
    let running = start(raw.check().unwrap()).await.unwrap();
    let mut api = client(&running).await;
    wait_for_no(&mut api, 1).await;

    let mut synced = credential(&w3c_aaguid(), &[], b"s");
    synced.flags = 0x1d;
    synced.registration_trust = "metadata".into();
    let mut bound = synced.clone();
    bound.flags = 0x05;
    bound.credential_id = b"b".to_vec();
    let req = CheckCredentialsRequest {
        credentials: vec![synced.clone(), bound],
        user_groups: vec!["admins".into()],
        ..Default::default()
    };
    let r = api.check_credentials(req).await.unwrap().into_inner();
    let synced_decision = r.results[0].policy.as_ref().unwrap();
    assert!(!synced_decision.allowed, "{synced_decision:?}");
    assert!(r.results[1].policy.as_ref().unwrap().allowed, "{:?}", r.results[1]);
    let mut bad = synced;
    bad.registration_trust = "maybe".into();
    let req = CheckCredentialsRequest {
        credentials: vec![bad],
        profile: "workforce".into(),
        ..Default::default()
    };
    let err = api.check_credentials(req).await.unwrap_err();
    let field = err.get_error_details().bad_request().unwrap().field_violations[0].field.clone();
    assert_eq!(field, "credentials[0].registration_trust");

    let mut stream = api
        .watch_status_changes(WatchStatusChangesRequest { since_no: Some(1), since_sequence: None })
        .await
        .unwrap()
        .into_inner();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    env.serve_blob(2, env.blob(2, in_days(30), vec![]));
    running.shared.trigger_refresh();
    let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("no event")
        .expect("the stream was cut off")
        .unwrap();
    assert_eq!(event.metadata_no, 2);
    assert_eq!(event.changes[0].kind, ChangeKind::Removed as i32);
    assert_eq!(event.changes[0].old_status, "FIDO_CERTIFIED_L1");
    // Shutdown ends the stream instead of waiting for it.
    tokio::time::timeout(Duration::from_secs(10), running.shutdown())
        .await
        .expect("shutdown waited for the open stream");
}
