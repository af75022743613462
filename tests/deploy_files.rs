//! The shipped deployment files stay in step with the code: the Kubernetes ConfigMaps' TOML and
//! config.example.toml pass the real config checker, every `MDSD_*` variable the Dockerfile and
//! the manifests set is one mdsd reads, the Dockerfile copies what the build needs, and every
//! metric the Prometheus alert rules and the Grafana dashboard query is one a running daemon
//! exports. (scripts/ci/k8s.sh validates the manifests' schema and rules, scripts/ci/container.sh
//! runs the image's build and runtime stages.)

use std::collections::BTreeSet;

use clap::Args;
use mdsd::daemon::config::RawConfig;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{rel}")).unwrap()
}

/// Every environment variable mdsd itself reads.
fn known_env() -> BTreeSet<String> {
    let cmd = RawConfig::augment_args(clap::Command::new("mdsd"));
    let mut names: BTreeSet<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().to_string())
        .collect();
    // Read outside RawConfig: the config file flag, the log filter and format.
    names.extend(["MDSD_CONFIG", "MDSD_LOG", "MDSD_LOG_FORMAT"].map(String::from));
    names
}

/// `MDSD_*` names mentioned in a file (the application's own MDSD_ADDR excepted).
fn mdsd_vars(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("MDSD_") {
        let start = i + pos;
        let mut end = start + 5;
        while end < bytes.len()
            && (bytes[end].is_ascii_uppercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'_')
        {
            end += 1;
        }
        out.insert(text[start..end].to_string());
        i = end;
    }
    out.remove("MDSD_ADDR");
    out
}

#[test]
fn env_vars_in_dockerfile_and_manifest_exist() {
    let known = known_env();
    for file in [
        "Dockerfile",
        "deploy/kubernetes/mdsd-sidecar.yaml",
        "deploy/kubernetes/mdsd-mirror.yaml",
        "docs/config.md",
    ] {
        let used = mdsd_vars(&read(file));
        assert!(!used.is_empty() || !file.ends_with("Dockerfile"), "{file}: no MDSD_ variables");
        let unknown: Vec<_> = used.difference(&known).collect();
        assert!(unknown.is_empty(), "{file} uses unknown variables {unknown:?}");
    }
}

#[test]
fn configmap_toml_passes_the_checker() {
    for (file, listen) in [
        ("deploy/kubernetes/mdsd-sidecar.yaml", "127.0.0.1:50051"),
        ("deploy/kubernetes/mdsd-mirror.yaml", "127.0.0.1:50051"),
    ] {
        let manifest = read(file);
        let start = manifest.find("mdsd.toml: |").expect("ConfigMap with mdsd.toml");
        let toml: String = manifest[start..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("    ") || l.trim().is_empty())
            .map(|l| format!("{}\n", l.trim()))
            .collect();
        assert!(toml.contains("listen"), "{file}: {toml}");
        let raw = RawConfig::from_toml_str(&toml).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(raw.listen.as_deref(), Some(listen), "{file}");
        // Probes and scraping reach the admin listener on the pod IP.
        assert_eq!(raw.admin_listen.as_deref(), Some("0.0.0.0:9464"), "{file}");
        raw.check().unwrap_or_else(|e| panic!("{file}: {e:?}"));
    }
}

#[test]
fn dockerfile_copies_what_the_build_needs() {
    let dockerfile = read("Dockerfile");
    for needed in ["Cargo.toml", "Cargo.lock", "build.rs", "proto", "src"] {
        assert!(
            dockerfile.lines().any(|l| l.starts_with("COPY ")
                && l.split_whitespace().any(|w| w == needed || w == format!("./{needed}"))),
            "Dockerfile does not COPY {needed}"
        );
    }
    // The build image's Rust is at least the crate's rust-version.
    let cargo = read("Cargo.toml");
    let msrv = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|l| l.split('"').next())
        .unwrap();
    assert!(dockerfile.contains(&format!("rust:{msrv}-")), "Dockerfile's rust image is not {msrv}");
    assert!(dockerfile.contains("USER 65532"), "runtime must not run as root");
    // The dependency layer builds before the sources are copied (else it caches nothing).
    let deps = dockerfile.find("RUN cargo build").expect("a cargo build step");
    let sources = dockerfile.find("COPY src ").expect("COPY src");
    assert!(deps < sources, "the first cargo build runs after the sources are copied");
}

/// Metric names in a query file: every `mdsd_…` token.
fn queried_metrics(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(pos) = rest.find("mdsd_") {
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        out.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

/// Sample names a `/metrics` exposition can carry, from its `# TYPE` lines (a family without
/// samples yet, such as `mdsd_danger` with no switch on, still declares its type).
fn exported_metrics(exposition: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in exposition.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else { continue };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(kind)) = (words.next(), words.next()) else { continue };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            "info" => &["_info"],
            _ => &[""],
        };
        out.extend(suffixes.iter().map(|s| format!("{name}{s}")));
    }
    out
}

/// Every metric the alert rules and the dashboard query exists in the real `/metrics` of a
/// daemon serving a verified BLOB, read over HTTP from its admin listener.
#[tokio::test]
async fn alert_rules_and_dashboard_query_metrics_the_daemon_exports() {
    use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
    use mdsd::daemon::proto::VerifyRegistrationRequest;
    use mdsd_test_support::mds_env::{in_days, MdsEnv};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let env = MdsEnv::start("deploy-metrics").await;
    let entry = mdsd_test_support::blob::fido2_entry(
        "cb69481e-8ff7-4039-93ec-0a2729a154a8",
        "FIDO_CERTIFIED_L1",
    );
    env.serve_blob(5, env.blob(5, in_days(30), vec![entry]));
    // Families appear in /metrics once they have a sample: run the daemon the way the rules
    // expect to see it — a config file to reload, a danger switch on, a gRPC call answered.
    let config_file = env.dir.join("mdsd.toml");
    std::fs::write(&config_file, "danger_serve_stale = true\n").unwrap();
    let mut raw = env.raw_config();
    raw.danger_serve_stale = Some(true);
    raw.config_file = Some(config_file);
    // A further BLOB source (the same test BLOB under the same root, by another name), for the
    // `mdsd_blob_source_*` families.
    raw.blob_source = vec![mdsd::daemon::config::RawBlobSource {
        name: Some("deploy-check".into()),
        url: raw.mds_url.clone(),
        mds_roots: raw.mds_roots.clone(),
        ..Default::default()
    }];
    let running = mdsd::daemon::server::start(raw.check().unwrap()).await.unwrap();
    let started = std::time::Instant::now();
    while running.shared.current().is_none()
        || running.shared.blob_sources.all().iter().any(|s| s.last_refresh_at.is_none())
    {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "no BLOB loaded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    running.policy.reload();
    let grpc = format!("http://{}", running.grpc_addr.unwrap());
    let mut client = AttestationServiceClient::connect(grpc).await.unwrap();
    let verdict = client
        .verify_registration(VerifyRegistrationRequest {
            attestation_object: b"not CBOR".to_vec(),
            client_data_json: b"{}".to_vec(),
            rp_id: "example.org".into(),
            origins: vec!["https://example.org".into()],
            challenge: vec![1; 16],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!verdict.reasons.is_empty(), "{verdict:?}");
    let admin = running.admin_addr.expect("admin listener");
    let mut conn = tokio::net::TcpStream::connect(admin).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let exported = exported_metrics(&response);

    // The operations clocks carry values for the served BLOB (a month ahead, a chain valid
    // until 2030, CRLs for a week).
    for (name, min_days, max_days) in [
        ("mdsd_blob_next_update_seconds ", 28.0, 31.0),
        ("mdsd_blob_chain_expiry_seconds{", 365.0, 6000.0),
        ("mdsd_crl_next_update_seconds{", 5.0, 8.0),
    ] {
        let lines: Vec<&str> = response.lines().filter(|l| l.starts_with(name)).collect();
        assert!(!lines.is_empty(), "{name} missing in {response}");
        for line in lines {
            let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
            let days = value / 86400.0;
            assert!((min_days..=max_days).contains(&days), "{line}: {days} days");
        }
    }
    assert_eq!(
        response.lines().filter(|l| l.starts_with("mdsd_crl_next_update_seconds{")).count(),
        2,
        "one gauge per CRL issuer (root and CA): {response}"
    );
    assert!(
        response.contains(&format!("mdsd_build_info{{version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{response}"
    );

    for file in ["deploy/prometheus/alerts.yml", "deploy/grafana/mdsd.json"] {
        let used = queried_metrics(&read(file));
        assert!(used.len() >= 5, "{file}: only {used:?}");
        let unknown: Vec<_> = used.difference(&exported).collect();
        assert!(unknown.is_empty(), "{file} queries {unknown:?}, not in /metrics:\n{response}");
    }
    running.shutdown().await;
}
