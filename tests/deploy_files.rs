//! The shipped deployment files stay in step with the code: the Kubernetes ConfigMap's TOML and
//! config.example.toml pass the real config checker, every `MDSD_*` variable the Dockerfile and
//! the manifest set is one mdsd reads, and the Dockerfile copies what the build needs.

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
    for file in ["Dockerfile", "deploy/kubernetes/mdsd-sidecar.yaml", "docs/config.md"] {
        let used = mdsd_vars(&read(file));
        assert!(!used.is_empty() || file.ends_with(".md"), "{file}: no MDSD_ variables found");
        let unknown: Vec<_> = used.difference(&known).collect();
        assert!(unknown.is_empty(), "{file} uses unknown variables {unknown:?}");
    }
}

#[test]
fn configmap_toml_passes_the_checker() {
    let manifest = read("deploy/kubernetes/mdsd-sidecar.yaml");
    let start = manifest.find("mdsd.toml: |").expect("ConfigMap with mdsd.toml");
    let toml: String = manifest[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.trim().is_empty())
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    assert!(toml.contains("listen"), "{toml}");
    let raw = RawConfig::from_toml_str(&toml).unwrap();
    assert_eq!(raw.listen.as_deref(), Some("127.0.0.1:50051"));
    raw.check().unwrap();
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
}
