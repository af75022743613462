//! Config from every source: defaults, errors all at once, overlays, operator files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::duration::DAY;
use super::*;

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata/")).join(rel)
}

#[test]
fn defaults_are_loopback_official_url_builtin_roots() {
    let config = RawConfig::default().check().unwrap();
    assert_eq!(config.listen, ListenAddr::Tcp("127.0.0.1:50051".parse().unwrap()));
    assert_eq!(config.admin_listen, Some("127.0.0.1:9464".parse().unwrap()));
    assert_eq!(config.sources, [BlobSource::Url(DEFAULT_MDS_URL.parse().unwrap())]);
    assert_eq!(config.mirror_listen, None);
    assert!(config.roots_builtin);
    assert_eq!(config.roots.len(), 2);
    assert_eq!(config.max_blob_bytes, 64 * 1024 * 1024);
    assert_eq!(config.stale_grace, Duration::from_secs(7 * DAY));
    assert!(config.tls.is_none());
    assert!(config.dangers().is_empty());
}

#[test]
fn every_error_is_reported_at_once() {
    let raw = RawConfig {
        listen: Some("nowhere".into()),
        admin_listen: Some("also nowhere".into()),
        mds_url: vec!["ftp://example.org/blob".into()],
        stale_grace: Some("7 fortnights".into()),
        retry_min: Some("2h".into()),
        retry_max: Some("1h".into()),
        refresh_jitter_percent: Some(80),
        tls_cert: Some("/nonexistent/cert.pem".into()),
        mds_roots: vec!["/nonexistent/root.pem".into()],
        max_blob_bytes: Some(ByteSize(0)),
        ..RawConfig::default()
    };
    let errors = raw.check().unwrap_err().errors;
    let keys = [
        "listen:",
        "admin_listen:",
        "mds_url:",
        "stale_grace:",
        "retry_min (2h) is greater than retry_max (1h)",
        "refresh_jitter_percent:",
        "tls_cert: needs tls_key",
        "mds_roots: /nonexistent/root.pem",
        "max_blob_bytes:",
    ];
    for key in keys {
        assert!(errors.iter().any(|e| e.starts_with(key)), "{key} not in {errors:#?}");
    }
    assert_eq!(errors.len(), keys.len(), "{errors:#?}");
}

#[test]
fn toml_file_then_flags_overlay() {
    let file = RawConfig::from_toml_str(
        r#"
        listen = "unix:/run/mdsd/mdsd.sock"
        admin_listen = "off"
        mds_url = "http://mirror.internal/mds.jwt"
        stale_grace = "36h"
        danger_serve_stale = true
        crl_files = []
        "#,
    )
    .unwrap();
    let flags = RawConfig { listen: Some("127.0.0.1:7000".into()), ..RawConfig::default() };
    let config = file.overlay(flags).check().unwrap();
    assert_eq!(config.listen, ListenAddr::Tcp("127.0.0.1:7000".parse().unwrap()));
    assert_eq!(config.admin_listen, None);
    assert_eq!(
        config.sources,
        [BlobSource::Url("http://mirror.internal/mds.jwt".parse().unwrap())]
    );
    assert_eq!(config.stale_grace, Duration::from_secs(36 * 3600));
    assert_eq!(config.dangers(), ["danger_serve_stale"]);
}

/// `mds_url` as a TOML array: several sources tried in order; flags replace the file's list;
/// the mirror listener is off unless set.
#[test]
fn several_sources_and_the_mirror_listener() {
    let file = RawConfig::from_toml_str(
        r#"
        mds_url = ["http://mirror.mdsd.svc:8080/", "https://mds.fidoalliance.org/"]
        mirror_listen = "0.0.0.0:8080"
        "#,
    )
    .unwrap();
    let config = file.clone().check().unwrap();
    assert_eq!(
        config.sources,
        [
            BlobSource::Url("http://mirror.mdsd.svc:8080/".parse().unwrap()),
            BlobSource::Url(DEFAULT_MDS_URL.parse().unwrap()),
        ]
    );
    assert_eq!(config.mirror_listen, Some("0.0.0.0:8080".parse().unwrap()));
    let labels: Vec<String> = config.sources.iter().map(BlobSource::host_label).collect();
    assert_eq!(labels, ["mirror.mdsd.svc:8080", "mds.fidoalliance.org"]);

    let flags = RawConfig { mds_url: vec!["/srv/mds.jwt".into()], ..RawConfig::default() };
    let config = file.overlay(flags).check().unwrap();
    assert_eq!(config.sources, [BlobSource::File("/srv/mds.jwt".into())]);
    assert_eq!(config.sources[0].host_label(), "file");

    // Each bad entry is reported, with a repeated one and a bad mirror address.
    let raw = RawConfig {
        mds_url: vec!["http://a.example/".into(), "gopher://b".into(), "http://a.example/".into()],
        mirror_listen: Some("everywhere".into()),
        ..RawConfig::default()
    };
    let errors = raw.check().unwrap_err().errors;
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].contains("gopher"), "{errors:#?}");
    assert!(errors[1].contains("listed twice"), "{errors:#?}");
    assert!(errors[2].starts_with("mirror_listen:"), "{errors:#?}");
    let raw = RawConfig { mds_url: vec!["/m".into(); 1], ..RawConfig::default() };
    assert!(raw.check().is_ok());
    let many: Vec<String> = (0..=MAX_SOURCES).map(|i| format!("/m{i}")).collect();
    let errors = RawConfig { mds_url: many, ..RawConfig::default() }.check().unwrap_err().errors;
    assert!(errors[0].contains("more than 8"), "{errors:#?}");
}

/// `--mds-url` is repeatable and splits on commas (as `MDSD_MDS_URL` does); `--mirror-listen`.
#[test]
fn mds_url_flags_list_sources_in_order() {
    use clap::Parser;
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        raw: RawConfig,
    }
    let flags = Flags::try_parse_from([
        "mdsd",
        "--mds-url",
        "http://mirror:8080/",
        "--mds-url",
        "https://mds.fidoalliance.org/,/srv/mds.jwt",
        "--mirror-listen",
        "off",
    ])
    .unwrap();
    assert_eq!(
        flags.raw.mds_url,
        ["http://mirror:8080/", "https://mds.fidoalliance.org/", "/srv/mds.jwt"]
    );
    let config = flags.raw.check().unwrap();
    assert_eq!(config.sources.len(), 3);
    assert_eq!(config.mirror_listen, None);
}

#[test]
fn unknown_toml_key_is_an_error() {
    let err = RawConfig::from_toml_str("listen_adress = \"127.0.0.1:1\"").unwrap_err();
    assert!(err.contains("listen_adress"), "{err}");
}

#[test]
fn sources_parse() {
    assert_eq!(BlobSource::parse("/srv/mds.jwt").unwrap(), BlobSource::File("/srv/mds.jwt".into()));
    assert_eq!(
        BlobSource::parse("file:///srv/mds.jwt").unwrap(),
        BlobSource::File("/srv/mds.jwt".into())
    );
    assert!(BlobSource::parse("https://").is_err());
    assert!(BlobSource::parse("gopher://x/").is_err());
    assert_eq!(
        ListenAddr::parse("unix:/run/x.sock").unwrap(),
        ListenAddr::Unix("/run/x.sock".into())
    );
    assert!(ListenAddr::parse("unix:").is_err());
    let CrlMirror::Url(url) = CrlMirror::parse("http://m.internal/crls").unwrap() else {
        panic!("not a URL mirror")
    };
    assert_eq!(url.join("root-r3.crl").unwrap().as_str(), "http://m.internal/crls/root-r3.crl");
}

#[test]
fn durations() {
    assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
    assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * DAY));
    assert!(parse_duration("").is_err());
    assert!(parse_duration("5y").is_err());
    assert!(parse_duration("-5s").is_err());
    assert!(parse_duration("99999999999999999999w").is_err());
    assert_eq!(format_duration(Duration::from_secs(36 * 3600)), "36h");
    assert_eq!(format_duration(Duration::from_secs(61)), "61s");
}

#[test]
fn tls_needs_both_files_and_mtls_needs_tls() {
    let errors = RawConfig { tls_client_ca: Some("/x/ca.pem".into()), ..RawConfig::default() }
        .check()
        .unwrap_err()
        .errors;
    assert!(errors.iter().any(|e| e.starts_with("tls_client_ca: needs tls_cert")), "{errors:?}");
    let errors = RawConfig { tls_key: Some("/x/key.pem".into()), ..RawConfig::default() }
        .check()
        .unwrap_err()
        .errors;
    assert_eq!(errors, ["tls_key: needs tls_cert"]);
}

#[test]
fn roots_and_crls_from_files_replace_builtin() {
    let raw = RawConfig {
        mds_roots: vec![testdata("blobs/webauthn4j__root-r3.crt")],
        crl_files: vec![
            testdata("blobs/webauthn4j__root-r3.crl"),
            testdata("blobs/webauthn4j__gsextendvalsha2g3r3.crl"),
        ],
        attestation_roots: vec![testdata("blobs/webauthn-framework__MDS3ROOT.crt")],
        ..RawConfig::default()
    };
    let config = raw.check().unwrap();
    assert!(!config.roots_builtin);
    assert_eq!(config.roots.len(), 1);
    assert_eq!(config.roots[0].cert.sha256_hex(), crate::mds::GLOBALSIGN_ROOT_R3_SHA256);
    assert_eq!(config.crl_files.len(), 2);
    assert_eq!(config.attestation_roots.len(), 1);
}

/// Operator anchor labels go into every gRPC answer that names an anchor: they carry the
/// certificate's name, never the file it was read from (that is only logged at start-up,
/// from `anchor_sources`).
#[test]
fn operator_anchor_labels_name_the_certificate_not_the_file() {
    let mds_root = testdata("blobs/webauthn4j__root-r3.crt");
    let attestation_root =
        testdata("attestations/roots/w3c_webauthn_test_vectors_attestation_ca.der");
    let raw = RawConfig {
        mds_roots: vec![mds_root.clone()],
        attestation_roots: vec![attestation_root.clone()],
        ..RawConfig::default()
    };
    let config = raw.check().unwrap();
    assert_eq!(config.roots[0].label, "operator MDS root: GlobalSign");
    assert_eq!(config.attestation_roots[0].label, "operator anchor: WebAuthn test vectors");
    for anchor in config.roots.iter().chain(&config.attestation_roots) {
        for part in ["testdata", "webauthn4j__root-r3", "w3c_webauthn", "/", ".crt", ".der"] {
            assert!(!anchor.label.contains(part), "{:?} names its file", anchor.label);
        }
    }
    let sources: Vec<_> = config.anchor_sources.iter().map(|s| (s.key, s.path.clone())).collect();
    assert_eq!(sources, [("mds_roots", mds_root), ("attestation_roots", attestation_root)]);
    assert_eq!(config.anchor_sources[1].sha256, config.attestation_roots[0].cert.sha256_hex());
}

#[test]
fn a_crl_that_is_not_a_crl_is_an_error() {
    let raw = RawConfig {
        crl_files: vec![testdata("blobs/webauthn4j__root-r3.crt")],
        ..RawConfig::default()
    };
    let errors = raw.check().unwrap_err().errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("crl_files:"), "{errors:?}");
}

/// A FIFO named as an operator file (roots, CRLs, anchors, TLS material, the fetch CA,
/// the config file itself) is reported at once as a configuration error naming its type;
/// reading it used to block start-up for ever, without a log line.
#[test]
fn fifo_operator_files_are_refused_at_once() {
    use crate::daemon::files::test_support::{mkfifo, within_10s};
    let dir = std::env::temp_dir().join(format!("mdsd-config-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("pipe");
    mkfifo(&fifo);
    let raw = RawConfig {
        mds_roots: vec![fifo.clone()],
        crl_files: vec![fifo.clone()],
        attestation_roots: vec![fifo.clone()],
        metadata_statements: vec![fifo.clone()],
        tls_cert: Some(fifo.clone()),
        tls_key: Some(fifo.clone()),
        fetch_ca_file: Some(fifo.clone()),
        admin_token_file: Some(fifo.clone()),
        ..RawConfig::default()
    };
    let errors = within_10s(move || raw.check()).unwrap_err().errors;
    let keys = [
        "mds_roots:",
        "crl_files:",
        "attestation_roots:",
        "metadata_statements:",
        "tls_cert:",
        "tls_key:",
        "fetch_ca_file:",
        "admin_token_file:",
    ];
    for key in keys {
        assert!(
            errors.iter().any(|e| e.starts_with(key) && e.contains("is a FIFO (named pipe)")),
            "{key} not in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), keys.len(), "{errors:#?}");
    let path = fifo.clone();
    let err = within_10s(move || RawConfig::from_toml_file(&path)).unwrap_err();
    assert!(err.errors[0].contains("is a FIFO (named pipe)"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `metadata_statements`: files and directories (their `*.json` in name order), from the file
/// and the flag; checked with everything else, each error naming the file (and the field).
#[test]
fn metadata_statements_are_read_and_checked_at_start() {
    use base64::Engine as _;
    let dir = std::env::temp_dir().join(format!("mdsd-config-statements-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("more")).unwrap();
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let root = crate::mds::builtin_roots()[0].cert.der().to_vec();
    let statement = |aaguid: &str| {
        serde_json::json!({
            "aaguid": aaguid, "description": "private", "protocolFamily": "fido2",
            "attestationTypes": ["basic_full"],
            "attestationRootCertificates": [base64::engine::general_purpose::STANDARD.encode(&root)],
        })
        .to_string()
    };
    std::fs::write(dir.join("a.json"), statement("00000000-0000-4000-8000-00000000000a")).unwrap();
    std::fs::write(dir.join("more/c.json"), statement("00000000-0000-4000-8000-00000000000c"))
        .unwrap();
    std::fs::write(dir.join("more/b.json"), statement("00000000-0000-4000-8000-00000000000b"))
        .unwrap();
    std::fs::write(dir.join("more/notes.txt"), "ignored").unwrap();
    let toml = format!(
        "metadata_statements = [{:?}, {:?}]\n",
        dir.join("a.json").display().to_string(),
        dir.join("more").display().to_string()
    );
    let config = RawConfig::from_toml_str(&toml).unwrap().check().unwrap();
    let files: Vec<String> =
        config.statements.iter().map(|s| s.entry.origin().to_string()).collect();
    assert_eq!(files, ["operator:a.json", "operator:b.json", "operator:c.json"]);
    assert_eq!(config.metadata_statements.len(), 2);

    // Every error at once, each naming its file; the flag replaces the file's list.
    std::fs::write(dir.join("bad.json"), r#"{"aaguid": "zz"}"#).unwrap();
    let flags = RawConfig {
        metadata_statements: vec![dir.join("bad.json"), dir.join("empty"), dir.join("none.json")],
        listen: Some("nowhere".into()),
        ..RawConfig::default()
    };
    let errors =
        RawConfig::from_toml_str(&toml).unwrap().overlay(flags).check().unwrap_err().errors;
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(errors[0].starts_with("listen:"), "{errors:#?}");
    assert!(errors[1].starts_with("metadata_statements: ") && errors[1].contains("empty"));
    assert!(errors[1].contains("no *.json file"), "{errors:#?}");
    assert!(errors[2].contains("none.json"), "{errors:#?}");
    assert!(errors[3].ends_with("bad.json: `description` is missing"), "{errors:#?}");
    // Never more than the core's bound is read.
    let big = dir.join("big.json");
    std::fs::write(&big, vec![b' '; crate::limits::METADATA_STATEMENT_BYTES.max + 1]).unwrap();
    let flags = RawConfig { metadata_statements: vec![big], ..RawConfig::default() };
    let errors = flags.check().unwrap_err().errors;
    assert!(errors[0].contains("big.json") && errors[0].contains("larger than 1048576 bytes"));
    let flags =
        RawConfig { metadata_statements: vec![dir.join("bad.json")], ..RawConfig::default() };
    let errors = flags.check().unwrap_err().errors;
    assert_eq!(
        errors,
        ["metadata_statements: metadata statement bad.json: `description` is missing"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Control is off by default; a token file turns it on, and a bad one (missing, too short,
/// not a header value) is a configuration error, as is a zero interval.
#[test]
fn admin_token_file_and_refresh_interval() {
    let config = RawConfig::default().check().unwrap();
    assert!(config.admin_control.token.is_none());
    assert_eq!(config.admin_control.refresh_min_interval, Duration::from_secs(10));

    let dir = std::env::temp_dir().join(format!("mdsd-config-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good");
    std::fs::write(&good, "0123456789abcdef0123456789abcdef\n").unwrap();
    let raw = RawConfig::from_toml_str(&format!(
        "admin_token_file = \"{}\"\nadmin_refresh_min_interval = \"30s\"",
        good.display()
    ))
    .unwrap();
    let config = raw.check().unwrap();
    let token = config.admin_control.token.as_ref().unwrap();
    assert!(token.matches(b"0123456789abcdef0123456789abcdef"));
    assert_eq!(config.admin_control.refresh_min_interval, Duration::from_secs(30));
    assert_eq!(config.admin_control.token_file.as_deref(), Some(good.as_path()));
    assert!(!format!("{config:?}").contains("0123456789abcdef"), "token in Debug output");

    let short = dir.join("short");
    std::fs::write(&short, "secret\n").unwrap();
    for (path, expected) in [(&short, "fewer than 16"), (&dir.join("missing"), "No such file")] {
        let raw = RawConfig {
            admin_token_file: Some(path.clone()),
            admin_refresh_min_interval: Some("0s".into()),
            ..RawConfig::default()
        };
        let errors = raw.check().unwrap_err().errors;
        assert!(
            errors.iter().any(|e| e.starts_with("admin_token_file:") && e.contains(expected)),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e == "admin_refresh_min_interval: must be greater than 0"),
            "{errors:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The shipped example must stay valid: every key known, every value checked (file paths
/// are all commented out or empty there).
#[test]
fn config_example_toml_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml");
    let raw = RawConfig::from_toml_file(Path::new(path)).unwrap();
    assert_eq!(raw.listen.as_deref(), Some(DEFAULT_LISTEN));
    let config = raw.check().unwrap();
    assert_eq!(config.refresh.interval, Duration::from_secs(DAY));
}

#[test]
fn policy_section_is_checked_with_everything_else() {
    let raw = RawConfig::from_toml_str(
        r#"
        listen = "127.0.0.1:7001"
        [[policy.profiles]]
        name = "privileged"
        include_groups = ["admins"]
        attestation_enforcement = "registration_only"
        passkey_types = ["device_bound"]
        "#,
    )
    .unwrap();
    let config = raw.check().unwrap();
    assert_eq!(config.policy.unwrap().profiles().len(), 1);

    let raw = RawConfig::from_toml_str(
        r#"
        listen = "nowhere"
        [[policy.profiles]]
        name = "broken"
        passkey_types = ["teleported"]
        "#,
    )
    .unwrap();
    let errors = raw.check().unwrap_err().errors;
    assert!(errors.iter().any(|e| e.starts_with("listen:")), "{errors:?}");
    assert!(errors.iter().any(|e| e.starts_with("policy:")), "{errors:?}");
    assert!(RawConfig::from_toml_str("[policy]\nprofils = []").is_err());
}

#[test]
fn every_toml_key_in_error_is_reported_at_once() {
    let (_, errors) = RawConfig::from_toml_str_partial(
        "max_blob_bytes = \"lots\"\nrefresh_jitter_percent = \"ten\"\nlisten_adress = \"x\"\n\
         retry_min = \"2m\"\n",
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors.iter().any(|e| e.starts_with("key max_blob_bytes: ")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.starts_with("key refresh_jitter_percent: ")), "{errors:#?}");
    assert!(
        errors.iter().any(|e| e.contains("listen_adress") && e.contains("did you mean `listen`")),
        "{errors:#?}"
    );
    assert!(errors.iter().all(|e| RawConfig::error_key(e).is_some()), "{errors:#?}");
    // The keys that were fine are kept.
    let (raw, _) = RawConfig::from_toml_str_partial("retry_min = \"2m\"\nmax_blob_bytes = []");
    assert_eq!(raw.retry_min.as_deref(), Some("2m"));
}

#[test]
fn sizes_take_units_in_the_file() {
    let raw =
        RawConfig::from_toml_str("max_blob_bytes = \"16MiB\"\nmax_request_bytes = 4096").unwrap();
    let config = raw.check().unwrap();
    assert_eq!(config.max_blob_bytes, 16 << 20);
    assert_eq!(config.grpc.max_request_bytes, 4096);
}

#[test]
fn danger_clock_needs_a_local_file_source() {
    let blob = testdata("blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt");
    let with = |mds_url: Option<&str>, clock: &str| RawConfig {
        mds_url: mds_url.map(str::to_string).into_iter().collect(),
        danger_clock: Some(clock.to_string()),
        ..RawConfig::default()
    };
    let config = with(Some(blob.to_str().unwrap()), "2024-09-03T12:00:00Z").check().unwrap();
    assert_eq!(config.danger.clock, Some(time::macros::datetime!(2024-09-03 12:00 UTC)));
    assert_eq!(config.dangers(), ["danger_clock"]);

    for url in [None, Some("https://mds.example.org/")] {
        let errors = with(url, "2024-09-03T12:00:00Z").check().unwrap_err().errors;
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("danger_clock: only allowed when every BLOB source")),
            "{errors:#?}"
        );
    }
    // A local file listed beside a URL is not enough: every source must be local.
    let mixed = RawConfig {
        mds_url: vec![blob.to_str().unwrap().to_string(), "https://mds.example.org/".into()],
        danger_clock: Some("2024-09-03T12:00:00Z".into()),
        ..RawConfig::default()
    };
    let errors = mixed.check().unwrap_err().errors;
    assert!(errors.iter().any(|e| e.contains("not https://mds.example.org/")), "{errors:#?}");
    let errors = with(Some(blob.to_str().unwrap()), "yesterday").check().unwrap_err().errors;
    assert!(errors[0].starts_with("danger_clock: \"yesterday\" is not an RFC 3339 time"));
}

/// `[[blob_source]]` tables: each checked with its own roots (required: the built-in ones are
/// never used for it), URLs as `mds_url` takes them, defaults from the top-level keys.
#[test]
fn blob_sources_are_read_with_their_own_roots() {
    let root = testdata("blobs/webauthn-framework__MDS3ROOT.crt");
    let crl = testdata("blobs/vertx-web_FIDO2TCK__conformance_MDS3_MDSROOT.crl");
    let text = format!(
        r#"
        max_blob_bytes = "2MiB"
        stale_grace = "3d"
        [[blob_source]]
        name = "conformance"
        url = ["http://conformance.example/mds3/", "/srv/conformance.jwt"]
        mds_roots = [{root:?}]
        crl_files = [{crl:?}]
        crl_mirror = "/srv/crl"
        [[blob_source]]
        name = "lab-2"
        url = "https://lab.example/blob"
        mds_roots = [{root:?}]
        max_blob_bytes = "1MiB"
        stale_grace = "1d"
        "#,
        root = root.display().to_string(),
        crl = crl.display().to_string(),
    );
    let config = RawConfig::from_toml_str(&text).unwrap().check().unwrap();
    assert_eq!(config.blob_sources.len(), 2);
    let [a, b] = [&config.blob_sources[0], &config.blob_sources[1]];
    assert_eq!(a.name, "conformance");
    assert_eq!(
        a.urls,
        [
            BlobSource::Url("http://conformance.example/mds3/".parse().unwrap()),
            BlobSource::File("/srv/conformance.jwt".into())
        ]
    );
    assert_eq!(a.roots.len(), 1);
    assert!(a.roots[0].label.starts_with("blob source conformance root: "), "{}", a.roots[0].label);
    // Not the built-in GlobalSign pins, which the MDS BLOB still uses.
    assert!(config.roots_builtin);
    assert!(a.roots.iter().all(|r| config.roots.iter().all(|m| m.cert.der() != r.cert.der())));
    assert_eq!(a.crl_files.len(), 1);
    assert_eq!(a.crl_mirror, Some(CrlMirror::Dir("/srv/crl".into())));
    assert_eq!((a.max_blob_bytes, a.stale_grace), (2 << 20, Duration::from_secs(3 * DAY)));
    assert_eq!((b.max_blob_bytes, b.stale_grace), (1 << 20, Duration::from_secs(DAY)));
    assert_eq!(a.roots_sha256(), [a.roots[0].cert.sha256_hex()]);
    // The primary source is untouched.
    assert_eq!(config.sources, [BlobSource::Url(DEFAULT_MDS_URL.parse().unwrap())]);
}

/// Every problem of every `[[blob_source]]` at once, each naming its source and key.
#[test]
fn blob_source_errors_name_the_source_and_key() {
    let root = testdata("blobs/webauthn-framework__MDS3ROOT.crt").display().to_string();
    let text = format!(
        r#"
        [[blob_source]]
        name = "conformance"
        url = "gopher://x"
        mds_roots = ["/nonexistent/root.pem"]
        stale_grace = "soon"
        [[blob_source]]
        name = "conformance"
        url = "/srv/a.jwt"
        mds_roots = [{root:?}]
        [[blob_source]]
        name = "Bad_Name"
        url = "/srv/b.jwt"
        [[blob_source]]
        url = "/srv/c.jwt"
        mds_roots = [{root:?}]
        max_blob_bytes = 0
        "#
    );
    let errors = RawConfig::from_toml_str(&text).unwrap().check().unwrap_err().errors;
    for expected in [
        "blob_source conformance: url: \"gopher://x\": scheme gopher",
        "blob_source conformance: mds_roots: /nonexistent/root.pem:",
        "blob_source conformance: stale_grace:",
        "blob_source conformance: name: used by another blob_source",
        "blob_source Bad_Name: name: \"Bad_Name\" may hold only a-z, 0-9 and -",
        "blob_source Bad_Name: mds_roots: missing",
        "blob_source [3]: name: missing",
        "blob_source [3]: max_blob_bytes: must be greater than 0",
    ] {
        assert!(errors.iter().any(|e| e.starts_with(expected)), "{expected}: {errors:#?}");
    }
    assert_eq!(errors.len(), 8, "{errors:#?}");

    // Unknown keys inside a table are errors too; more than 8 sources are refused.
    let errors =
        RawConfig::from_toml_str("[[blob_source]]\nname = \"a\"\nroots = []\n").unwrap_err();
    assert!(errors.contains("key blob_source: unknown field `roots`"), "{errors}");
    let many: String = (0..=MAX_BLOB_SOURCES)
        .map(|i| {
            format!("[[blob_source]]\nname = \"s{i}\"\nurl = \"/s{i}\"\nmds_roots = [{root:?}]\n")
        })
        .collect();
    let errors = RawConfig::from_toml_str(&many).unwrap().check().unwrap_err().errors;
    assert_eq!(errors, ["blob_source: 9 sources, more than 8"]);
}

/// `danger_clock` needs every source local, the further ones included.
#[test]
fn danger_clock_needs_every_blob_source_local() {
    let blob = testdata("blobs/s1r-J_fido-mds3__2024-12-02__blob.jwt").display().to_string();
    let root = testdata("blobs/webauthn-framework__MDS3ROOT.crt").display().to_string();
    let text = |url: &str| {
        format!(
            "mds_url = {blob:?}\ndanger_clock = \"2024-09-03T12:00:00Z\"\n[[blob_source]]\n\
             name = \"conformance\"\nurl = {url:?}\nmds_roots = [{root:?}]\n"
        )
    };
    assert!(RawConfig::from_toml_str(&text(&blob)).unwrap().check().is_ok());
    let errors = RawConfig::from_toml_str(&text("https://conformance.example/"))
        .unwrap()
        .check()
        .unwrap_err()
        .errors;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].starts_with("danger_clock: only allowed when every BLOB source is a local file (blob_source conformance"), "{errors:#?}");
}
