//! Starting and stopping the daemon: state directory, restore from the snapshot, the refresh
//! loop, the gRPC server (service, health, reflection; TCP or Unix socket; optional TLS/mTLS),
//! the admin endpoint, the `[policy]` file watch, and graceful shutdown on SIGTERM/SIGINT
//! (SIGHUP: refresh now, reload `[policy]` and the operator metadata statements).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;

use super::admin::Control;
use super::config::{Config, ListenAddr};
use super::fetch::Fetcher;
use super::grpc::{Service, SERVICE_NAME};
use super::metrics::Metrics;
use super::policy_reload::{watch_file, PolicyHolder, ReloadOutcome, WATCH_INTERVAL};
use super::refresh::{Refresher, RESTORE_WAIT};
use super::snapshot_file::StateDir;
use super::state::{Shared, StalePolicy};
use super::statements::Statements;
use super::watch::{HistoryState, WatchHub, BUFFER, HISTORY};
use crate::attestation::{Verifier, VerifierOptions};

/// In-flight requests per connection (beyond it, requests queue).
const MAX_CONCURRENCY_PER_CONNECTION: usize = 256;
/// HTTP/2 streams a client may open at once on one connection.
const MAX_CONCURRENT_STREAMS: u32 = 256;
/// How often health is re-evaluated without a change notification (staleness is time-driven).
const HEALTH_TICK: Duration = Duration::from_secs(15);

/// A started daemon.
#[derive(Debug)]
pub struct Running {
    /// The bound gRPC TCP address (`None` for a Unix socket).
    pub grpc_addr: Option<SocketAddr>,
    /// The bound admin address (`None` when disabled).
    pub admin_addr: Option<SocketAddr>,
    /// The bound mirror address (`None` when `mirror_listen` is off).
    pub mirror_addr: Option<SocketAddr>,
    pub shared: Arc<Shared>,
    /// The passkey profiles in force; [`PolicyHolder::reload`] re-reads the config file.
    pub policy: Arc<PolicyHolder>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, drains in-flight calls, stops the refresh loop, and waits for all tasks.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts every part of the daemon: binds the listeners (health NOT_SERVING), then restores the
/// snapshot from the state directory (read, checked and verified again) while they already
/// answer, and returns. The first refresh runs in the background; health says NOT_SERVING
/// until a verified BLOB is loaded.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::new());
    // Anchor files are named here only: the labels in answers carry the certificate's name.
    for source in &config.anchor_sources {
        tracing::info!(key = source.key, label = %source.label, sha256 = %source.sha256,
            path = %source.path.display(), "operator trust anchor");
    }
    for danger in config.dangers() {
        tracing::warn!(switch = danger, "DANGER: a danger_* switch is on");
        metrics.set_danger(danger);
    }
    if let Some(clock) = config.danger.clock {
        metrics.set_pinned_clock(clock);
    }
    let (state, removed) = StateDir::open_exclusive(&config.state_dir)
        .with_context(|| format!("state directory {}", config.state_dir.display()))?;
    if removed > 0 {
        tracing::info!(removed, "removed temporary files left by an earlier crash");
    }
    // The watch history goes in before any BLOB is installed: the restored BLOB is then
    // compared with the instant recorded before the restart, not published again.
    let history = load_watch_history(&state).await;
    let shared = Arc::new(
        Shared::new(
            StalePolicy { grace: config.stale_grace, serve_stale: config.danger.serve_stale },
            metrics,
        )
        .with_clock(config.danger.clock)
        .with_watch_hub(WatchHub::restored(BUFFER, HISTORY, history)),
    );
    if let Some(accepted) = &config.accepted_legal_header_sha256 {
        let _ = shared.accepted_legal_header.set(accepted.clone());
    }

    // Operator metadata statements, checked with the config: served beside every BLOB.
    Statements::install(
        &shared,
        &config.metadata_statements,
        config.statements.clone(),
        shared.now(),
    );
    let watch_state = state.clone();
    let fetcher = Fetcher::new(&config.fetch).map_err(anyhow::Error::msg)?;
    let mut refresher = Refresher::new(config.clone(), shared.clone(), fetcher, Some(state));
    // Reading and verifying the snapshot starts now, beside the rest of the start-up.
    let restoring = refresher.start_restore(shared.now());
    // The further BLOB sources: one refresher each, with its own state directory (snapshot,
    // CRL cache, rollback floor) under state_dir/sources/<name>, restored likewise.
    let mut extra_refreshers = Vec::new();
    for (index, source) in config.blob_sources.iter().enumerate() {
        let dir = config.blob_source_state_dir(&source.name);
        let (state, _) = StateDir::open(&dir).with_context(|| {
            format!("state directory {} (blob_source {})", dir.display(), source.name)
        })?;
        let fetcher = Fetcher::new(&config.fetch).map_err(anyhow::Error::msg)?;
        if let Some(extra) =
            Refresher::for_blob_source(config.clone(), shared.clone(), fetcher, Some(state), index)
        {
            let restoring = extra.start_restore(shared.now());
            extra_refreshers.push((source.name.clone(), extra, restoring));
        }
    }

    let verifier = Arc::new(Verifier::new(VerifierOptions {
        extra_anchors: config.attestation_roots.clone(),
        ..VerifierOptions::default()
    }));
    shared.metrics.watch_verifier(verifier.clone());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut tasks = Vec::new();

    // Passkey profiles: reloaded on SIGHUP (see `run`) and when the config file changes.
    let policy = Arc::new(PolicyHolder::new(
        config.policy.clone(),
        config.config_file.clone(),
        shared.metrics.clone(),
    ));
    if config.config_file.is_some() {
        tasks.push(tokio::spawn(watch_file(
            policy.clone(),
            WATCH_INTERVAL,
            stopped(shutdown_rx.clone()),
        )));
    }

    // Health: NOT_SERVING until a usable BLOB is loaded, for "" and the service.
    let (reporter, health_service) = tonic_health::server::health_reporter();
    set_health(&reporter, false).await;
    tasks.push(tokio::spawn(health_loop(
        shared.clone(),
        reporter.clone(),
        stopped(shutdown_rx.clone()),
    )));

    let error_details =
        super::proto::error_details_descriptor_set().context("google.rpc descriptors")?;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(super::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc.Status and error_details.proto: generic clients (grpcurl) decode the
        // ErrorInfo/BadRequest details of mdsd's errors with these.
        .register_file_descriptor_set(error_details.clone())
        .build_v1()
        .context("reflection v1")?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(super::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc.Status and error_details.proto: generic clients (grpcurl) decode the
        // ErrorInfo/BadRequest details of mdsd's errors with these.
        .register_file_descriptor_set(error_details.clone())
        .build_v1alpha()
        .context("reflection v1alpha")?;

    let mut builder = Server::builder()
        .timeout(config.grpc.request_timeout)
        .concurrency_limit_per_connection(MAX_CONCURRENCY_PER_CONNECTION)
        .max_concurrent_streams(Some(MAX_CONCURRENT_STREAMS));
    if let Some(tls) = &config.tls {
        let mut tls_config =
            ServerTlsConfig::new().identity(Identity::from_pem(&tls.cert_pem, &tls.key_pem));
        if let Some(ca) = &tls.client_ca_pem {
            tls_config = tls_config.client_ca_root(Certificate::from_pem(ca));
        }
        builder = builder.tls_config(tls_config).context("TLS configuration")?;
    }
    let router = builder
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            Service::new(shared.clone(), verifier, policy.clone())
                .with_stop(shutdown_rx.clone())
                .into_server(config.grpc.max_request_bytes),
        );

    let grpc_addr = match &config.listen {
        ListenAddr::Tcp(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("gRPC listen {addr}"))?;
            let bound = listener.local_addr()?;
            if config.tls.is_none() && !bound.ip().is_loopback() {
                tracing::warn!(%bound, "gRPC listens beyond loopback without TLS");
            }
            // tonic does not apply its own nodelay setting to an incoming stream it is handed:
            // without TCP_NODELAY every small response waits on Nagle + delayed ACK (~40 ms).
            let incoming = tokio_stream::StreamExt::map(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                |accepted| {
                    if let Ok(stream) = &accepted {
                        if let Err(e) = stream.set_nodelay(true) {
                            tracing::debug!(error = %e, "TCP_NODELAY could not be set");
                        }
                    }
                    accepted
                },
            );
            let stop = stopped(shutdown_rx.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = router.serve_with_incoming_shutdown(incoming, stop).await {
                    tracing::error!(error = %e, "gRPC server failed");
                }
            }));
            tracing::info!(listen = %bound, tls = config.tls.is_some(), "gRPC listening");
            Some(bound)
        }
        ListenAddr::Unix(path) => {
            // A socket file left by an earlier run would make bind fail.
            if path.exists() {
                std::fs::remove_file(path)
                    .with_context(|| format!("removing old socket {}", path.display()))?;
            }
            let listener = tokio::net::UnixListener::bind(path)
                .with_context(|| format!("gRPC listen unix:{}", path.display()))?;
            // Owner and group only (the application container shares the group).
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
                    .with_context(|| format!("chmod 660 {}", path.display()))?;
            }
            let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
            let stop = stopped(shutdown_rx.clone());
            let socket = path.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = router.serve_with_incoming_shutdown(incoming, stop).await {
                    tracing::error!(error = %e, "gRPC server failed");
                }
                let _ = std::fs::remove_file(&socket);
            }));
            tracing::info!(listen = %config.listen, "gRPC listening");
            None
        }
    };

    let admin_addr = match config.admin_listen {
        None => None,
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("admin listen {addr}"))?;
            let bound = listener.local_addr()?;
            if !bound.ip().is_loopback() {
                tracing::warn!(%bound, "admin endpoint (metrics, probes) listens beyond loopback");
            }
            let control = &config.admin_control;
            let app = super::admin::router(
                shared.clone(),
                Control::new(control.token.clone(), control.refresh_min_interval),
            )
            .into_make_service_with_connect_info::<SocketAddr>();
            let stop = stopped(shutdown_rx.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                    tracing::error!(error = %e, "admin server failed");
                }
            }));
            match &control.token_file {
                Some(file) if control.token.is_some() => tracing::info!(
                    listen = %bound,
                    token_file = %file.display(),
                    refresh_min_interval_secs = control.refresh_min_interval.as_secs(),
                    "admin endpoint listening; control (POST /refresh) enabled with a bearer token"
                ),
                _ => tracing::info!(
                    listen = %bound,
                    "admin endpoint listening; control (POST /refresh) off (no admin_token_file)"
                ),
            }
            Some(bound)
        }
    };

    let mirror_addr = match config.mirror_listen {
        None => None,
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("mirror listen {addr}"))?;
            let bound = listener.local_addr()?;
            let app = super::mirror::router(shared.clone());
            let stop = stopped(shutdown_rx.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                    tracing::error!(error = %e, "mirror server failed");
                }
            }));
            tracing::info!(listen = %bound,
                "mirror listening: GET / (the verified BLOB), /crl/<name>, /index.json");
            Some(bound)
        }
    };

    // The snapshot restore (read, verified again) started above runs while the listeners
    // answer: health says NOT_SERVING meanwhile (liveness probes pass, readiness waits).
    // start() returns after it, so a usable snapshot is served at once; the refresh loop
    // starts with the floor it set. The wait is bounded: a state directory whose I/O hangs
    // delays neither start() nor the first refresh round by more than RESTORE_WAIT (the
    // refresh loop installs the restore when it ends).
    match refresher.finish_restore_within(restoring, RESTORE_WAIT).await {
        Ok(Some(no)) => tracing::info!(no, "serving the BLOB restored from the state directory"),
        Ok(None) => tracing::info!("no snapshot in the state directory yet"),
        Err(e) => e.log(),
    }
    tasks.push(tokio::spawn(refresher.run(stopped(shutdown_rx.clone()))));
    // Effective dates and the history file; started after the restore so that a date passed
    // while mdsd was down is published against the restored BLOB at once.
    tasks.push(tokio::spawn(super::watch::task::run(
        shared.clone(),
        Some(watch_state),
        stopped(shutdown_rx.clone()),
    )));
    // Each further source's snapshot is served before start() returns, too (its restore ran
    // beside the MDS BLOB's); then its own refresh loop starts. One RESTORE_WAIT for them all.
    let deadline = tokio::time::Instant::now() + RESTORE_WAIT;
    for (name, mut extra, restoring) in extra_refreshers {
        let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
        match extra.finish_restore_within(restoring, wait).await {
            Ok(Some(no)) => tracing::info!(blob_source = %name, no,
                "further BLOB source: restored from its state directory"),
            Ok(None) => tracing::info!(blob_source = %name,
                "further BLOB source: no snapshot in its state directory yet"),
            Err(e) => {
                tracing::warn!(blob_source = %name, "further BLOB source: snapshot not restored");
                e.log();
            }
        }
        tasks.push(tokio::spawn(extra.run(stopped(shutdown_rx.clone()))));
    }
    let sources: Vec<String> = config.sources.iter().map(ToString::to_string).collect();
    let blob_sources: Vec<&str> = config.blob_sources.iter().map(|s| s.name.as_str()).collect();
    tracing::info!(sources = %sources.join(", "), blob_sources = %blob_sources.join(", "),
        roots = config.roots.len(),
        builtin_roots = config.roots_builtin, state_dir = %config.state_dir.display(), "mdsd started");
    Ok(Running { grpc_addr, admin_addr, mirror_addr, shared, policy, shutdown: shutdown_tx, tasks })
}

/// Runs the daemon until SIGTERM or SIGINT; SIGHUP triggers a BLOB refresh and re-reads the
/// `[policy]` section of the config file.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let running = start(config).await?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            r = tokio::signal::ctrl_c() => { r?; tracing::info!("SIGINT: shutting down"); break; }
            _ = hup.recv() => {
                tracing::info!("SIGHUP: refresh and policy reload requested");
                running.shared.trigger_refresh();
                let policy = running.policy.clone();
                let outcome = tokio::task::spawn_blocking(move || policy.reload()).await;
                let outcome = match outcome {
                    Ok(ReloadOutcome::Reloaded { generation }) => format!("reloaded (generation {generation})"),
                    Ok(ReloadOutcome::Unchanged) => "unchanged".to_string(),
                    Ok(ReloadOutcome::Failed(errors)) => format!("refused ({} error(s), logged above; the old profiles stay)", errors.len()),
                    Ok(ReloadOutcome::NoFile) => "no config file to reload".to_string(),
                    Err(e) => format!("the reload task failed: {e}"),
                };
                tracing::info!(%outcome, "SIGHUP policy reload done");
                let shared = running.shared.clone();
                let now = shared.now();
                match tokio::task::spawn_blocking(move || Statements::reload(&shared, now)).await {
                    Ok(Ok(count)) => tracing::info!(count, "SIGHUP metadata statements reloaded"),
                    Ok(Err(errors)) => tracing::info!(errors = errors.len(),
                        "SIGHUP metadata statements refused (logged above); those in force stay"),
                    Err(e) => tracing::error!(error = %e, "the statement reload task failed"),
                }
            }
        }
    }
    running.shutdown().await;
    tracing::info!("mdsd stopped");
    Ok(())
}

/// The watch history kept in the state directory, or an empty one (never a reason not to
/// start): none yet, damaged (WARN), or not read within [`RESTORE_WAIT`] (WARN).
async fn load_watch_history(state: &StateDir) -> HistoryState {
    let dir = state.clone();
    let read = tokio::task::spawn_blocking(move || dir.load_watch_history());
    let path = state.watch_history_path();
    match tokio::time::timeout(RESTORE_WAIT, read).await {
        Ok(Ok(Ok(Some(history)))) => {
            tracing::info!(events = history.events.len(), sequence = history.sequence,
                path = %path.display(), "watch history restored");
            history
        }
        Ok(Ok(Ok(None))) => HistoryState::default(),
        Ok(Ok(Err(e))) => {
            tracing::warn!(error = %e, "the watch history could not be read; starting with an \
                empty one (WatchStatusChanges replay from before this start is refused; \
                sequences go on from the current Unix time in milliseconds)");
            HistoryState::lost(time::OffsetDateTime::now_utc())
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the watch history read task failed; starting with an \
                empty one");
            HistoryState::lost(time::OffsetDateTime::now_utc())
        }
        Err(_) => {
            tracing::warn!(path = %path.display(), wait_secs = RESTORE_WAIT.as_secs(),
                "the watch history was not read in time (state directory stuck); starting with \
                 an empty one");
            HistoryState::lost(time::OffsetDateTime::now_utc())
        }
    }
}

async fn health_loop(
    shared: Arc<Shared>,
    reporter: tonic_health::server::HealthReporter,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut changes = shared.subscribe();
    let mut serving = false;
    loop {
        let now_serving = shared.for_request(shared.now()).is_ok();
        if now_serving != serving {
            serving = now_serving;
            tracing::info!(serving, "health changed");
            set_health(&reporter, serving).await;
        }
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            () = tokio::time::sleep(HEALTH_TICK) => {}
            () = &mut stop => {
                set_health(&reporter, false).await;
                return;
            }
        }
    }
}

async fn set_health(reporter: &tonic_health::server::HealthReporter, serving: bool) {
    let status = if serving { ServingStatus::Serving } else { ServingStatus::NotServing };
    reporter.set_service_status("", status).await;
    reporter.set_service_status(SERVICE_NAME, status).await;
}
