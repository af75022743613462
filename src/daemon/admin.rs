//! The admin HTTP endpoint (loopback by default, separate from gRPC): `/metrics` (Prometheus
//! text), `/livez` and `/healthz` (the process answers), `/readyz` (a verified, not-too-stale
//! BLOB is loaded), and `POST /refresh` (refresh now).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use time::OffsetDateTime;

use super::state::{Shared, Unavailable};

/// The admin routes over the shared state.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/livez", get(live))
        .route("/healthz", get(live))
        .route("/readyz", get(ready))
        .route("/refresh", post(refresh))
        .with_state(shared)
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let body = shared.metrics.render(&shared, OffsetDateTime::now_utc());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
}

async fn live() -> &'static str {
    "ok\n"
}

async fn ready(State(shared): State<Arc<Shared>>) -> (StatusCode, String) {
    match shared.for_request(OffsetDateTime::now_utc()) {
        Ok((loaded, false)) => (StatusCode::OK, format!("ready: BLOB no {}\n", loaded.blob.no)),
        Ok((loaded, true)) => (
            StatusCode::OK,
            format!(
                "ready (stale): BLOB no {} past nextUpdate {}\n",
                loaded.blob.no, loaded.blob.next_update
            ),
        ),
        Err(Unavailable::NotLoaded { last_error }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: no verified BLOB yet ({})\n",
                last_error.as_deref().unwrap_or("first refresh pending")
            ),
        ),
        Err(Unavailable::StaleBeyondGrace { no, next_update, serve_until }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: BLOB no {no} stale since {next_update}, grace ended {serve_until}\n"
            ),
        ),
    }
}

async fn refresh(State(shared): State<Arc<Shared>>) -> (StatusCode, &'static str) {
    shared.trigger_refresh();
    (StatusCode::ACCEPTED, "refresh triggered\n")
}
