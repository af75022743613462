//! Issue #15, passkey-provider names through a running daemon: the `passkey_providers` URL is
//! read on every refresh round; a new list replaces the bundled one, a failing read keeps the
//! last good list, and an empty list (upstream's retirement) is reported and not served.

use std::time::{Duration, Instant};

use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    get_authenticator_request, GetAuthenticatorRequest, GetMetadataInfoRequest,
    PasskeyProvidersInfo,
};
use mdsd::daemon::server::start;
use mdsd_test_support::http::Route;
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use tonic::transport::Channel;

const LIST_PATH: &str = "/lists/aaguid.json";
const PRIVATE: &str = "5ca1ab1e-0000-4000-8000-000000000001";
/// Apple's iCloud Keychain AAGUID, named in the bundled list.
const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

async fn info(client: &mut AttestationServiceClient<Channel>) -> PasskeyProvidersInfo {
    let info = client.get_metadata_info(GetMetadataInfoRequest {}).await.unwrap().into_inner();
    info.passkey_providers.unwrap()
}

async fn name(client: &mut AttestationServiceClient<Channel>, aaguid: &str) -> Option<String> {
    let req = GetAuthenticatorRequest {
        key: Some(get_authenticator_request::Key::Aaguid(aaguid.into())),
    };
    let r = client.get_authenticator(req).await.ok()?.into_inner();
    let p = r.passkey_provider?;
    assert_eq!(p.provenance, "claimed");
    Some(p.name)
}

/// Polls until `done` holds for the provider info (each refresh round reads the list).
async fn until(
    client: &mut AttestationServiceClient<Channel>,
    trigger: impl Fn(),
    done: impl Fn(&PasskeyProvidersInfo) -> bool,
) -> PasskeyProvidersInfo {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let i = info(client).await;
        if done(&i) {
            return i;
        }
        assert!(Instant::now() < deadline, "{i:?}");
        trigger();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_configured_list_is_reloaded_kept_on_failure_and_its_retirement_reported() {
    let env = MdsEnv::start("passkey-providers").await;
    env.serve_blob(4, env.blob(4, in_days(30), vec![]));
    let list = format!(r#"{{"{PRIVATE}": {{"name": "Contoso Vault", "icon_dark": "x"}}}}"#);
    env.server.set(LIST_PATH, Route::Ok { body: list.into_bytes(), etag: None });
    let url = env.server.url(LIST_PATH);
    let mut raw = env.raw_config();
    raw.passkey_providers = Some(url.clone());
    let running = start(raw.check().unwrap()).await.unwrap();
    let channel = Channel::from_shared(format!("http://{}", running.grpc_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = AttestationServiceClient::new(channel);
    let shared = running.shared.clone();
    let trigger = move || shared.trigger_refresh();

    // Loaded from the URL: it replaces the bundled list whole.
    let i = until(&mut client, &trigger, |i| i.loaded_at.is_some()).await;
    assert_eq!(
        (i.names, i.source.as_str(), i.configured.as_str()),
        (1, url.as_str(), url.as_str())
    );
    assert_eq!(name(&mut client, PRIVATE).await.as_deref(), Some("Contoso Vault"));
    assert_eq!(name(&mut client, ICLOUD).await, None);

    // A failing read keeps it.
    let body = b"gone".to_vec();
    env.server.set(LIST_PATH, Route::Status { code: 500, headers: vec![], body });
    let i = until(&mut client, &trigger, |i| !i.last_error.is_empty()).await;
    assert_eq!(i.names, 1);
    assert_eq!(name(&mut client, PRIVATE).await.as_deref(), Some("Contoso Vault"));

    // Upstream retires the list by emptying it: reported, not served.
    env.server.set(LIST_PATH, Route::Ok { body: b"{}".to_vec(), etag: None });
    let i = until(&mut client, &trigger, |i| i.source_empty).await;
    assert!(i.last_error.is_empty());
    assert_eq!(i.names, 1);
    assert_eq!(name(&mut client, PRIVATE).await.as_deref(), Some("Contoso Vault"));
    let metrics = running.shared.render_metrics(time::OffsetDateTime::now_utc());
    assert!(metrics.contains("mdsd_passkey_providers_empty 1"), "{metrics}");
    assert!(metrics.contains(r#"mdsd_passkey_provider_loads_total{outcome="empty"}"#));
    running.shutdown().await;
}

#[test]
fn a_bad_passkey_providers_source_is_a_config_error() {
    use mdsd::daemon::config::{BlobSource, RawConfig};
    let raw = RawConfig::from_toml_str(r#"passkey_providers = "ftp://example.org/a.json""#);
    let errors = raw.unwrap().check().unwrap_err().errors;
    assert!(errors.iter().any(|e| e.starts_with("passkey_providers:")), "{errors:?}");
    let raw = RawConfig::from_toml_str(r#"passkey_providers = "/etc/mdsd/aaguid.json""#).unwrap();
    let config = raw.check().unwrap();
    assert_eq!(config.passkey_providers, Some(BlobSource::File("/etc/mdsd/aaguid.json".into())));
    assert_eq!(RawConfig::default().check().unwrap().passkey_providers, None);
}

#[test]
fn accepted_legal_header_sha256_is_64_hex_digits() {
    use mdsd::daemon::config::RawConfig;
    let upper = "A".repeat(64);
    let raw =
        RawConfig::from_toml_str(&format!("accepted_legal_header_sha256 = \"{upper}\"")).unwrap();
    assert_eq!(raw.check().unwrap().accepted_legal_header_sha256, Some("a".repeat(64)));
    let raw = RawConfig::from_toml_str(r#"accepted_legal_header_sha256 = "abc""#).unwrap();
    let errors = raw.check().unwrap_err().errors;
    assert!(errors.iter().any(|e| e.starts_with("accepted_legal_header_sha256:")), "{errors:?}");
}
