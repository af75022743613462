//! The `mdsd.v1.AttestationService` gRPC service over the shared state, plus health and
//! reflection. The only module that knows proto types: requests are checked and converted to core
//! inputs in [`convert`], core results to responses there too, and every error becomes a
//! `tonic::Status` in one function, [`to_status`].
//!
//! One file per handler (or a small group): `registration` (VerifyRegistration), `chain`
//! (ValidateAttestationChain), `lookup` (GetAuthenticator, ListAuthenticators), `info`
//! (GetMetadataInfo), `authentication` (EvaluateAuthentication), `credentials`
//! (CheckCredentials), `watch` (WatchStatusChanges); `offload` decides nothing but runs work
//! inline or on the bounded pool; `status` is the one error mapping.
//!
//! Each handler reads the clock once and makes one call into the core where it can (the slow
//! path of a verification is a second call that resumes the first, never a new start).
//!
//! Where verification runs (no lock is held across an `.await` on any request path):
//! - On the tokio worker, inline, when its cost is bounded: VerifyRegistration when
//!   [`registration::begin`](crate::registration::begin) finishes
//!   ([`Verifier::begin_registration`]: decoding the ≤ 64 KiB attestationObject, parsing its
//!   ≤ 8 certificates, one statement signature with RSA ≤ 4096 bits and exponent ≤ 65537,
//!   P-256 or Ed25519 — ≤ 80 µs — and the chain outcome, trusted or not, from the chain
//!   cache; otherwise the deferred judgement, which owns what was decoded, is finished on the
//!   pool); ValidateAttestationChain when [`Verifier::validate_chain_cached`] answers;
//!   CheckCredentials batches of at most [`INLINE_CREDENTIALS`].
//! - Otherwise on tokio's blocking pool, at most [`slow_path_permits`] at a time (a semaphore;
//!   callers beyond it wait without holding a worker): chain path building on a cache miss (up
//!   to `PathBudget::max_signature_checks` signatures), larger RSA keys, P-384 and P-521,
//!   `compound` and android-safetynet statements, large batches. The worker never runs path
//!   building or a costly signature, so a hostile request cannot stall it.

mod authentication;
mod chain;
pub mod convert;
mod credentials;
mod info;
mod lookup;
mod offload;
mod registration;
mod status;
mod watch;

use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;
use tonic::{Code, Request, Response, Status};

use super::policy_reload::PolicyHolder;
use super::proto::attestation_service_server::{AttestationService, AttestationServiceServer};
use super::proto::{
    CheckCredentialsRequest, CheckCredentialsResponse, EvaluateAuthenticationRequest,
    EvaluateAuthenticationResponse, GetAuthenticatorRequest, GetAuthenticatorResponse,
    GetMetadataInfoRequest, GetMetadataInfoResponse, ListAuthenticatorsRequest,
    ListAuthenticatorsResponse, ValidateAttestationChainRequest, ValidateAttestationChainResponse,
    VerifyRegistrationRequest, VerifyRegistrationResponse, WatchStatusChangesRequest,
};
use super::state::{Loaded, Shared};
use crate::attestation::Verifier;
use crate::policy::{PolicySet, ProfileChoice};

pub use credentials::check_credentials_batch;
use offload::Offload;
pub use offload::{slow_path_permits, OffloadStats, INLINE_CREDENTIALS};
pub use status::{to_status, ApiError, ERROR_DOMAIN};

/// The gRPC service name clients and health checks use.
pub const SERVICE_NAME: &str = "mdsd.v1.AttestationService";
/// Largest response message (a page of entries with their JSON).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// The service implementation.
#[derive(Debug, Clone)]
pub struct Service {
    shared: Arc<Shared>,
    verifier: Arc<Verifier>,
    policy: Arc<PolicyHolder>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// Slow-path permits and where work ran (see the module documentation).
    offload: Offload,
}

impl Service {
    /// `policy`: the passkey profiles in force (reloadable), evaluated by VerifyRegistration
    /// when configured.
    pub fn new(shared: Arc<Shared>, verifier: Arc<Verifier>, policy: Arc<PolicyHolder>) -> Service {
        Service { shared, verifier, policy, stop: None, offload: Offload::new() }
    }

    /// Where verifications ran so far.
    pub fn offload_stats(&self) -> &OffloadStats {
        &self.offload.stats
    }

    /// Ends WatchStatusChanges streams when `stop` turns true (graceful shutdown would
    /// otherwise wait for them forever).
    pub fn with_stop(mut self, stop: tokio::sync::watch::Receiver<bool>) -> Service {
        self.stop = Some(stop);
        self
    }

    /// The tonic server with explicit message size limits.
    pub fn into_server(self, max_request_bytes: usize) -> AttestationServiceServer<Service> {
        AttestationServiceServer::new(self)
            .max_decoding_message_size(max_request_bytes)
            .max_encoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// The profiles in force and which of them decide for a request that names `profile`
    /// (empty: none) for a user in `groups`; `None` without `[policy]` when no profile is named.
    fn profiles(
        &self,
        profile: &str,
        groups: Vec<String>,
    ) -> Result<Option<(Arc<PolicySet>, ProfileChoice)>, ApiError> {
        let Some(policy) = self.policy.current() else {
            return if profile.is_empty() { Ok(None) } else { Err(ApiError::PolicyNotConfigured) };
        };
        let choice = policy
            .choose(profile, groups)
            .map_err(|e| ApiError::invalid("profile", e.to_string()))?;
        Ok(Some((policy, choice)))
    }

    /// The BLOB a request at `now` may use, with its stale flag.
    fn metadata(&self, now: OffsetDateTime) -> Result<(Arc<Loaded>, bool), ApiError> {
        self.shared.for_request(now).map_err(ApiError::Metadata)
    }

    /// Runs `f`, records metrics, maps errors.
    async fn call<T, F>(&self, rpc: &'static str, f: F) -> Result<Response<T>, Status>
    where
        F: std::future::Future<Output = Result<T, ApiError>>,
    {
        let started = Instant::now();
        let result = f.await;
        let (code, out) = match result {
            Ok(v) => (Code::Ok, Ok(Response::new(v))),
            Err(e) => {
                let status = to_status(&e);
                if matches!(e, ApiError::Internal(_)) {
                    tracing::error!(rpc, error = %status.message(), "internal error");
                } else {
                    tracing::debug!(rpc, code = %status.code(), error = %status.message(), "request failed");
                }
                (status.code(), Err(status))
            }
        };
        self.shared.metrics.request(rpc, status::code_name(code), started.elapsed());
        out
    }
}

/// The wiring: each RPC is one handler, run through `Service::call`.
#[tonic::async_trait]
impl AttestationService for Service {
    async fn verify_registration(
        &self,
        request: Request<VerifyRegistrationRequest>,
    ) -> Result<Response<VerifyRegistrationResponse>, Status> {
        self.call("VerifyRegistration", registration::handle(self, request.into_inner())).await
    }

    async fn validate_attestation_chain(
        &self,
        request: Request<ValidateAttestationChainRequest>,
    ) -> Result<Response<ValidateAttestationChainResponse>, Status> {
        self.call("ValidateAttestationChain", chain::handle(self, request.into_inner())).await
    }

    async fn get_authenticator(
        &self,
        request: Request<GetAuthenticatorRequest>,
    ) -> Result<Response<GetAuthenticatorResponse>, Status> {
        self.call("GetAuthenticator", lookup::get_authenticator(self, request.into_inner())).await
    }

    async fn list_authenticators(
        &self,
        request: Request<ListAuthenticatorsRequest>,
    ) -> Result<Response<ListAuthenticatorsResponse>, Status> {
        self.call("ListAuthenticators", lookup::list_authenticators(self, request.into_inner()))
            .await
    }

    async fn get_metadata_info(
        &self,
        _request: Request<GetMetadataInfoRequest>,
    ) -> Result<Response<GetMetadataInfoResponse>, Status> {
        self.call("GetMetadataInfo", info::handle(self)).await
    }

    async fn evaluate_authentication(
        &self,
        request: Request<EvaluateAuthenticationRequest>,
    ) -> Result<Response<EvaluateAuthenticationResponse>, Status> {
        self.call("EvaluateAuthentication", authentication::handle(self, request.into_inner()))
            .await
    }

    async fn check_credentials(
        &self,
        request: Request<CheckCredentialsRequest>,
    ) -> Result<Response<CheckCredentialsResponse>, Status> {
        self.call("CheckCredentials", credentials::handle(self, request.into_inner())).await
    }

    type WatchStatusChangesStream = watch::WatchStream;

    async fn watch_status_changes(
        &self,
        request: Request<WatchStatusChangesRequest>,
    ) -> Result<Response<Self::WatchStatusChangesStream>, Status> {
        let req = request.into_inner();
        self.call("WatchStatusChanges", async { watch::handle(self, req) }).await
    }
}

#[cfg(test)]
mod tests;
