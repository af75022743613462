//! The `mdsd.v1.AttestationService` gRPC service over the shared state, plus health and
//! reflection. The only module that knows proto types: requests are checked and converted to core
//! inputs in [`convert`], core results to responses there too, and every error becomes a
//! `tonic::Status` in one function, [`to_status`].
//!
//! Where verification runs (no lock is held across an `.await` on any request path):
//! - On the tokio worker, inline, when its cost is bounded: VerifyRegistration when
//!   [`Verifier::verify_registration_cached`] answers (decoding the ≤ 64 KiB attestationObject,
//!   parsing its ≤ 8 certificates, one statement signature with RSA ≤ 4096 bits and exponent
//!   ≤ 65537, P-256 or Ed25519 — ≤ 80 µs — and the chain outcome, trusted or not, from the
//!   chain cache); ValidateAttestationChain when [`Verifier::validate_chain_cached`] answers;
//!   CheckCredentials batches of at most [`INLINE_CREDENTIALS`].
//! - Otherwise on tokio's blocking pool, at most [`slow_path_permits`] at a time (a semaphore;
//!   callers beyond it wait without holding a worker): chain path building on a cache miss (up
//!   to `PathBudget::max_signature_checks` signatures), larger RSA keys, P-384 and P-521,
//!   `compound` and android-safetynet statements, large batches. The worker never runs path
//!   building or a costly signature, so a hostile request cannot stall it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::credentials::{
    check_batch, decide_authentication, BatchItem, BatchPolicy, MAX_CREDENTIALS,
};
use super::policy_reload::PolicyHolder;
use super::proto::attestation_service_server::{AttestationService, AttestationServiceServer};
use super::proto::{
    CheckCredentialsRequest, CheckCredentialsResponse, EvaluateAuthenticationRequest,
    EvaluateAuthenticationResponse, GetAuthenticatorRequest, GetAuthenticatorResponse,
    GetMetadataInfoRequest, GetMetadataInfoResponse, ListAuthenticatorsRequest,
    ListAuthenticatorsResponse, StatusChangeEvent, ValidateAttestationChainRequest,
    ValidateAttestationChainResponse, VerifyRegistrationRequest, VerifyRegistrationResponse,
    WatchStatusChangesRequest,
};
use super::state::{Loaded, Shared, Unavailable};
use super::watch::SubscribeError;
use crate::attestation::{RegistrationInput, Verifier};
use crate::policy::{AuthenticationFacts, PolicySet, RegistrationFacts, MAX_USER_GROUPS};

/// The gRPC service name clients and health checks use.
pub const SERVICE_NAME: &str = "mdsd.v1.AttestationService";
/// Error domain in google.rpc.ErrorInfo.
pub const ERROR_DOMAIN: &str = "mdsd.dev";
/// Largest response message (a page of entries with their JSON).
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// Default and largest ListAuthenticators page.
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 500;
/// CheckCredentials batches up to this size are judged on the worker (≈ 1 µs per credential);
/// larger ones on the blocking pool.
pub const INLINE_CREDENTIALS: usize = 256;

/// How many slow verifications (path building, compound statements, large batches) run at
/// once on tokio's blocking pool: half the CPUs, at least one, so that the workers keep CPU
/// time for the inline (cached) calls whatever the slow traffic.
pub fn slow_path_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get() / 2).max(1)
}

/// Where verifications ran (for tests and diagnostics).
#[derive(Debug, Default)]
pub struct OffloadStats {
    /// Answered on the tokio worker.
    pub inline: AtomicU64,
    /// Sent to the blocking pool (after waiting for a slow-path permit).
    pub offloaded: AtomicU64,
}

/// Everything that can make an RPC fail (a rejected attestation is not here: it is a response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request is malformed: `field` names the offending field.
    InvalidArgument { field: String, reason: String },
    /// No metadata can be used: none loaded yet (UNAVAILABLE) or stale beyond the grace period
    /// (FAILED_PRECONDITION).
    Metadata(Unavailable),
    /// A lookup found nothing.
    NotFound { what: String },
    /// A page token from another BLOB.
    PageTokenStale { token_no: u64, current_no: u64 },
    /// A policy RPC on a daemon without a `[policy]` section.
    PolicyNotConfigured,
    /// WatchStatusChanges: the diffs since `since_no` are not held any more.
    DiffNotRetained { since_no: u64, oldest: Option<u64> },
    /// WatchStatusChanges: the subscriber fell more than the buffer behind; `missed` events
    /// were not delivered.
    WatchLagged { missed: u64, last_delivered: Option<u64> },
    /// A fault on mdsd's side.
    Internal(String),
}

impl ApiError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidArgument { field: field.into(), reason: reason.into() }
    }
}

/// The longest field name or reason (in characters) an INVALID_ARGUMENT status carries; longer
/// ones are cut and say how long they were. gRPC statuses travel in HTTP/2 headers.
const MAX_ECHO_CHARS: usize = 256;

/// `s` itself when short, else its first `max` characters and its length.
fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &s[..cut], s.len()),
    }
}

/// The one mapping from [`ApiError`] to a gRPC status with google.rpc error details
/// (ErrorInfo with a stable `reason`, BadRequest field violations).
pub fn to_status(err: &ApiError) -> Status {
    let mut details = ErrorDetails::new();
    let info = |d: &mut ErrorDetails, reason: &str, meta: Vec<(&str, String)>| {
        let meta: HashMap<String, String> =
            meta.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        d.set_error_info(reason, ERROR_DOMAIN, meta);
    };
    match err {
        ApiError::InvalidArgument { field, reason } => {
            // Reasons may quote request values: bound what goes back into the (header-borne)
            // status message and details, whatever the caller sent.
            let field = bounded(field, MAX_ECHO_CHARS);
            let reason = bounded(reason, MAX_ECHO_CHARS);
            details.add_bad_request_violation(field.clone(), reason.clone());
            info(&mut details, "INVALID_ARGUMENT", vec![("field", field.clone())]);
            Status::with_error_details(Code::InvalidArgument, format!("{field}: {reason}"), details)
        }
        ApiError::Metadata(Unavailable::NotLoaded { last_error }) => {
            let mut meta = Vec::new();
            if let Some(e) = last_error {
                meta.push(("last_error", e.clone()));
            }
            info(&mut details, "METADATA_NOT_LOADED", meta);
            let message = match last_error {
                Some(e) => format!("no verified metadata loaded yet (last refresh: {e})"),
                None => "no verified metadata loaded yet".to_string(),
            };
            Status::with_error_details(Code::Unavailable, message, details)
        }
        ApiError::Metadata(Unavailable::StaleBeyondGrace { no, next_update, serve_until }) => {
            info(
                &mut details,
                "METADATA_STALE",
                vec![
                    ("metadata_no", no.to_string()),
                    ("next_update", next_update.to_string()),
                    ("serve_until", serve_until.to_string()),
                ],
            );
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "metadata BLOB no {no} is stale (nextUpdate {next_update}) beyond the grace \
                     period that ended {serve_until}; failing closed"
                ),
                details,
            )
        }
        ApiError::NotFound { what } => {
            info(&mut details, "NOT_FOUND", vec![]);
            Status::with_error_details(Code::NotFound, what.clone(), details)
        }
        ApiError::PageTokenStale { token_no, current_no } => {
            info(
                &mut details,
                "PAGE_TOKEN_STALE",
                vec![("token_no", token_no.to_string()), ("metadata_no", current_no.to_string())],
            );
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "page token is for BLOB no {token_no}; now serving {current_no}: start over"
                ),
                details,
            )
        }
        ApiError::PolicyNotConfigured => {
            info(&mut details, "POLICY_NOT_CONFIGURED", vec![]);
            Status::with_error_details(
                Code::FailedPrecondition,
                "no passkey profiles are configured ([policy] section)",
                details,
            )
        }
        ApiError::DiffNotRetained { since_no, oldest } => {
            let mut meta = vec![("since_no", since_no.to_string())];
            if let Some(o) = oldest {
                meta.push(("oldest_retained_no", o.to_string()));
            }
            info(&mut details, "DIFF_NOT_RETAINED", meta);
            let held = match oldest {
                Some(o) => format!("changes are held from BLOB no {o} on"),
                None => "no changes are held yet".to_string(),
            };
            Status::with_error_details(
                Code::FailedPrecondition,
                format!(
                    "the status changes since BLOB no {since_no} are not retained ({held}): \
                     re-check every credential (CheckCredentials) and subscribe without since_no"
                ),
                details,
            )
        }
        ApiError::WatchLagged { missed, last_delivered } => {
            let mut meta = vec![("missed", missed.to_string())];
            if let Some(n) = last_delivered {
                meta.push(("last_delivered_no", n.to_string()));
            }
            info(&mut details, "WATCH_LAGGED", meta);
            let resume = match last_delivered {
                Some(n) => format!("resubscribe with since_no = {n}"),
                None => "resubscribe with since_no = the last metadata_no you processed".into(),
            };
            Status::with_error_details(
                Code::Aborted,
                format!("this subscriber fell behind and {missed} event(s) were not delivered: {resume}"),
                details,
            )
        }
        ApiError::Internal(e) => {
            info(&mut details, "INTERNAL", vec![]);
            Status::with_error_details(Code::Internal, e.clone(), details)
        }
    }
}

/// The service implementation.
#[derive(Debug, Clone)]
pub struct Service {
    shared: Arc<Shared>,
    verifier: Arc<Verifier>,
    policy: Arc<PolicyHolder>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// Permits for the slow path (see the module documentation).
    slow: Arc<tokio::sync::Semaphore>,
    offload: Arc<OffloadStats>,
}

impl Service {
    /// `policy`: the passkey profiles in force (reloadable), evaluated by VerifyRegistration
    /// when configured.
    pub fn new(shared: Arc<Shared>, verifier: Arc<Verifier>, policy: Arc<PolicyHolder>) -> Service {
        Service {
            shared,
            verifier,
            policy,
            stop: None,
            slow: Arc::new(tokio::sync::Semaphore::new(slow_path_permits())),
            offload: Arc::new(OffloadStats::default()),
        }
    }

    /// Where verifications ran so far.
    pub fn offload_stats(&self) -> &OffloadStats {
        &self.offload
    }

    /// Counts an inline answer and passes it on.
    fn inline<T>(&self, value: T) -> T {
        self.offload.inline.fetch_add(1, Ordering::Relaxed);
        value
    }

    /// Runs `work` on the blocking pool once a slow-path permit is free; the permit is held
    /// until `work` returns (also when the caller stops waiting).
    async fn offload<T, F>(&self, what: &str, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self
            .slow
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("{what}: slow-path semaphore: {e}")))?;
        self.offload.offloaded.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| ApiError::Internal(format!("{what} task: {e}")))
    }

    /// Ends WatchStatusChanges streams when `stop` turns true (graceful shutdown would
    /// otherwise wait for them forever).
    pub fn with_stop(mut self, stop: tokio::sync::watch::Receiver<bool>) -> Service {
        self.stop = Some(stop);
        self
    }

    /// The profiles in force and, when a profile is named, that it exists.
    fn policy_for(&self, profile: &str) -> Result<Option<Arc<PolicySet>>, ApiError> {
        let policy = self.policy.current();
        if profile.is_empty() {
            return Ok(policy);
        }
        let policy = policy.ok_or(ApiError::PolicyNotConfigured)?;
        if policy.profile(profile).is_none() {
            let mut names: Vec<&str> = policy.profiles().iter().map(|p| p.name()).collect();
            names.extend(policy.default_profile().map(|p| p.name()));
            return Err(ApiError::invalid(
                "profile",
                format!("no profile named {profile:?}; configured: {}", names.join(", ")),
            ));
        }
        Ok(Some(policy))
    }

    /// The tonic server with explicit message size limits.
    pub fn into_server(self, max_request_bytes: usize) -> AttestationServiceServer<Service> {
        AttestationServiceServer::new(self)
            .max_decoding_message_size(max_request_bytes)
            .max_encoding_message_size(MAX_RESPONSE_BYTES)
    }

    fn metadata(&self) -> Result<(Arc<Loaded>, bool), ApiError> {
        self.shared.for_request(OffsetDateTime::now_utc()).map_err(ApiError::Metadata)
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
                    tracing::error!(rpc, error = ?e, "internal error");
                } else {
                    tracing::debug!(rpc, error = ?e, "request failed");
                }
                (status.code(), Err(status))
            }
        };
        self.shared.metrics.request(rpc, code_name(code), started.elapsed());
        out
    }
}

#[tonic::async_trait]
impl AttestationService for Service {
    async fn verify_registration(
        &self,
        request: Request<VerifyRegistrationRequest>,
    ) -> Result<Response<VerifyRegistrationResponse>, Status> {
        self.call("VerifyRegistration", async {
            let req = request.into_inner();
            let expectations = convert::expectations(&req)?;
            if req.user_groups.len() > MAX_USER_GROUPS {
                return Err(ApiError::invalid(
                    "user_groups",
                    format!("{} groups, more than {MAX_USER_GROUPS}", req.user_groups.len()),
                ));
            }
            let policy = self.policy_for(&req.profile)?;
            let (loaded, stale) = self.metadata()?;
            let now = OffsetDateTime::now_utc();
            let store = loaded.blob.store.clone();
            let inline = self.verifier.verify_registration_cached(
                &RegistrationInput {
                    attestation_object: &req.attestation_object,
                    client_data_json: &req.client_data_json,
                    expectations: expectations.as_ref(),
                },
                Some(&store),
                now,
            );
            let (result, req, expectations) = match inline {
                Some(result) => self.inline((result, req, expectations)),
                None => {
                    let verifier = self.verifier.clone();
                    let store = store.clone();
                    self.offload("verification", move || {
                        let input = RegistrationInput {
                            attestation_object: &req.attestation_object,
                            client_data_json: &req.client_data_json,
                            expectations: expectations.as_ref(),
                        };
                        (verifier.verify_registration(&input, Some(&store), now), req, expectations)
                    })
                    .await?
                }
            };
            // Policy kept apart from mechanism: the profiles judge the core's facts.
            let facts = RegistrationFacts::from_attestation(&result, now);
            let decision = policy.map(|policy| match req.profile.as_str() {
                "" => policy.evaluate_registration(&facts, &req.user_groups),
                name => policy
                    .evaluate_registration_with(&facts, name)
                    .unwrap_or_else(|| policy.evaluate_registration(&facts, &req.user_groups)),
            });
            let (trust, ceremony_checked) = (facts.trust, expectations.is_some());
            let mut response =
                convert::registration_response(&result, loaded.blob.no, stale, ceremony_checked);
            response.policy = decision.as_ref().map(convert::policy_decision);
            response.attestation_trust = trust.as_str().to_string();
            // Only registered format names become label values: `fmt` is attacker-chosen and
            // free-form, and every distinct label value is a new time series.
            let format_label = result
                .format
                .map(|f| f.as_str())
                .unwrap_or(if result.fmt.is_some() { "unknown" } else { "undecodable" });
            self.shared.metrics.verification(
                "VerifyRegistration",
                format_label,
                convert::verdict_name(response.verdict),
            );
            Ok(response)
        })
        .await
    }

    async fn validate_attestation_chain(
        &self,
        request: Request<ValidateAttestationChainRequest>,
    ) -> Result<Response<ValidateAttestationChainResponse>, Status> {
        self.call("ValidateAttestationChain", async {
            let req = request.into_inner();
            let (key, chain) = convert::chain_request(&req)?;
            let (loaded, stale) = self.metadata()?;
            let now = OffsetDateTime::now_utc();
            let store = loaded.blob.store.clone();
            let inline = self.verifier.validate_chain_cached(key.entry_key(), &chain, &store, now);
            let (outcome, chain) = match inline {
                Some(outcome) => self.inline((outcome, chain)),
                None => {
                    let verifier = self.verifier.clone();
                    let key = key.clone();
                    self.offload("validation", move || {
                        (verifier.validate_chain(key.entry_key(), &chain, &store, now), chain)
                    })
                    .await?
                }
            };
            let mut response = convert::chain_response(&outcome, &chain, now);
            response.metadata_no = loaded.blob.no;
            response.metadata_stale = stale;
            self.shared.metrics.verification(
                "ValidateAttestationChain",
                "x5c",
                convert::verdict_name(response.verdict),
            );
            Ok(response)
        })
        .await
    }

    async fn get_authenticator(
        &self,
        request: Request<GetAuthenticatorRequest>,
    ) -> Result<Response<GetAuthenticatorResponse>, Status> {
        self.call("GetAuthenticator", async {
            let key = convert::lookup_key(request.into_inner())?;
            let (loaded, stale) = self.metadata()?;
            let entry = key.entry_key().lookup(&loaded.blob.store);
            let entry = entry.ok_or_else(|| ApiError::NotFound {
                what: format!("no metadata entry for {key} in BLOB no {}", loaded.blob.no),
            })?;
            Ok(GetAuthenticatorResponse {
                authenticator: Some(convert::authenticator(entry, OffsetDateTime::now_utc(), true)),
                metadata_no: loaded.blob.no,
                metadata_stale: stale,
            })
        })
        .await
    }

    async fn list_authenticators(
        &self,
        request: Request<ListAuthenticatorsRequest>,
    ) -> Result<Response<ListAuthenticatorsResponse>, Status> {
        self.call("ListAuthenticators", async {
            let req = request.into_inner();
            let page_size = match req.page_size {
                0 => DEFAULT_PAGE_SIZE,
                n => (n as usize).min(MAX_PAGE_SIZE),
            };
            let (loaded, stale) = self.metadata()?;
            let no = loaded.blob.no;
            let offset = match req.page_token.as_str() {
                "" => 0,
                token => {
                    let (token_no, offset) = convert::parse_page_token(token)?;
                    if token_no != no {
                        return Err(ApiError::PageTokenStale { token_no, current_no: no });
                    }
                    offset
                }
            };
            let now = OffsetDateTime::now_utc();
            let needle = req.description_contains.to_lowercase();
            let matching: Vec<_> = loaded
                .blob
                .store
                .entries()
                .iter()
                .filter(|e| {
                    needle.is_empty()
                        || e.description().is_some_and(|d| d.to_lowercase().contains(&needle))
                })
                .filter(|e| {
                    req.statuses.is_empty()
                        || e.current_status(now)
                            .is_some_and(|s| req.statuses.iter().any(|w| w == s.status.as_str()))
                })
                .collect();
            let page: Vec<_> = matching
                .iter()
                .skip(offset)
                .take(page_size)
                .map(|e| convert::authenticator(e, now, req.include_entry_json))
                .collect();
            let end = offset.saturating_add(page.len());
            let next_page_token =
                if end < matching.len() { convert::page_token(no, end) } else { String::new() };
            Ok(ListAuthenticatorsResponse {
                authenticators: page,
                next_page_token,
                total_size: u32::try_from(matching.len()).unwrap_or(u32::MAX),
                metadata_no: no,
                metadata_stale: stale,
            })
        })
        .await
    }

    async fn get_metadata_info(
        &self,
        _request: Request<GetMetadataInfoRequest>,
    ) -> Result<Response<GetMetadataInfoResponse>, Status> {
        self.call("GetMetadataInfo", async {
            let now = OffsetDateTime::now_utc();
            let status = self.shared.status();
            let current = self.shared.current();
            let serve_until = current.as_ref().and_then(|l| self.shared.serve_until(l));
            let mut info = convert::metadata_info(current.as_deref(), &status, serve_until, now);
            info.policy = convert::policy_info(&self.policy);
            Ok(info)
        })
        .await
    }

    async fn evaluate_authentication(
        &self,
        request: Request<EvaluateAuthenticationRequest>,
    ) -> Result<Response<EvaluateAuthenticationResponse>, Status> {
        self.call("EvaluateAuthentication", async {
            let req = request.into_inner();
            let policy = self.policy_for(&req.profile)?.ok_or(ApiError::PolicyNotConfigured)?;
            let (aaguid, flags, trust) = convert::authentication_request(&req)?;
            if req.user_groups.len() > MAX_USER_GROUPS {
                return Err(ApiError::invalid(
                    "user_groups",
                    format!("{} groups, more than {MAX_USER_GROUPS}", req.user_groups.len()),
                ));
            }
            let (loaded, stale) = self.metadata()?;
            let mut facts = AuthenticationFacts::new(aaguid, flags);
            facts.registration_trust = trust;
            let facts = facts.with_metadata_from(&loaded.blob.store, OffsetDateTime::now_utc());
            let decision = decide_authentication(&policy, &facts, &req.user_groups, &req.profile);
            Ok(EvaluateAuthenticationResponse {
                policy: Some(convert::policy_decision(&decision)),
                metadata_no: loaded.blob.no,
                metadata_stale: stale,
            })
        })
        .await
    }

    async fn check_credentials(
        &self,
        request: Request<CheckCredentialsRequest>,
    ) -> Result<Response<CheckCredentialsResponse>, Status> {
        self.call("CheckCredentials", async {
            let req = request.into_inner();
            let req_len = req.credentials.len();
            if req.credentials.is_empty() {
                return Err(ApiError::invalid("credentials", "required"));
            }
            if req.credentials.len() > MAX_CREDENTIALS {
                return Err(ApiError::invalid(
                    "credentials",
                    format!(
                        "{} credentials, more than {MAX_CREDENTIALS} per call",
                        req.credentials.len()
                    ),
                ));
            }
            if req.user_groups.len() > MAX_USER_GROUPS {
                return Err(ApiError::invalid(
                    "user_groups",
                    format!("{} groups, more than {MAX_USER_GROUPS}", req.user_groups.len()),
                ));
            }
            let wants_policy = !req.user_groups.is_empty() || !req.profile.is_empty();
            let policy = if wants_policy {
                Some(self.policy_for(&req.profile)?.ok_or(ApiError::PolicyNotConfigured)?)
            } else {
                None
            };
            let (loaded, stale) = self.metadata()?;
            let status_policy = self.verifier.options().status_policy.clone();
            let store = loaded.blob.store.clone();
            let work = move || {
                let now = OffsetDateTime::now_utc();
                check_credentials_batch(&store, req, policy.as_deref(), &status_policy, now)
            };
            let results = if req_len <= INLINE_CREDENTIALS {
                self.inline(work())?
            } else {
                self.offload("check", work).await??
            };
            Ok(CheckCredentialsResponse {
                results,
                metadata_no: loaded.blob.no,
                metadata_stale: stale,
            })
        })
        .await
    }

    type WatchStatusChangesStream = Pin<
        Box<dyn tokio_stream::Stream<Item = Result<StatusChangeEvent, Status>> + Send + 'static>,
    >;

    async fn watch_status_changes(
        &self,
        request: Request<WatchStatusChangesRequest>,
    ) -> Result<Response<Self::WatchStatusChangesStream>, Status> {
        self.call("WatchStatusChanges", async {
            let req = request.into_inner();
            let current_no = self.shared.current().map(|l| l.blob.no);
            let (replay, rx) =
                self.shared.watch.subscribe(req.since_no, current_no).map_err(|e| match e {
                    SubscribeError::NotRetained { since_no, oldest } => {
                        ApiError::DiffNotRetained { since_no, oldest }
                    }
                    SubscribeError::FromTheFuture { since_no, current_no } => ApiError::invalid(
                        "since_no",
                        format!("{since_no} is newer than the BLOB served (no {current_no})"),
                    ),
                })?;
            let stream: Self::WatchStatusChangesStream =
                Box::pin(watch_stream(replay, rx, self.stop.clone()));
            Ok(stream)
        })
        .await
    }
}

/// The work of one CheckCredentials call after its request-level checks: every credential
/// checked and converted ([`convert::stored_credential`]), judged ([`check_batch`]), and
/// converted back. `policy`: the profiles to decide sign-in against (by the request's
/// `user_groups`, or its `profile`), when the request asks for decisions.
pub fn check_credentials_batch(
    store: &crate::trust_store::TrustStore,
    req: CheckCredentialsRequest,
    policy: Option<&PolicySet>,
    status_policy: &crate::trust_store::StatusPolicy,
    now: OffsetDateTime,
) -> Result<Vec<super::proto::CredentialCheck>, ApiError> {
    let items = req
        .credentials
        .iter()
        .enumerate()
        .map(|(i, c)| convert::stored_credential(i, c, policy.is_some()))
        .collect::<Result<Vec<BatchItem>, _>>()?;
    let batch_policy = policy.map(|policy| BatchPolicy {
        policy,
        groups: &req.user_groups,
        profile: &req.profile,
    });
    let judged = check_batch(store, &items, status_policy, batch_policy, now);
    Ok(judged
        .into_iter()
        .zip(req.credentials)
        .enumerate()
        .map(|(i, ((verdict, decision), raw))| {
            convert::credential_check(i, raw.credential_id, &verdict, decision.as_ref())
        })
        .collect())
}

/// Replayed events, then live ones, through a small channel; a lag ends the stream with
/// [`ApiError::WatchLagged`], a shutdown ends it cleanly.
fn watch_stream(
    replay: Vec<Arc<super::watch::ChangeEvent>>,
    mut rx: tokio::sync::broadcast::Receiver<Arc<super::watch::ChangeEvent>>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> tokio_stream::wrappers::ReceiverStream<Result<StatusChangeEvent, Status>> {
    use tokio::sync::broadcast::error::RecvError;
    let (tx, out) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        let mut last: Option<u64> = None;
        for event in replay {
            last = Some(event.no);
            if tx.send(Ok(convert::change_event(&event, true))).await.is_err() {
                return;
            }
        }
        let stopped = async move {
            match stop {
                Some(mut s) => {
                    let _ = s.wait_for(|v| *v).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(stopped);
        loop {
            let next = tokio::select! {
                r = rx.recv() => r,
                () = &mut stopped => return,
                () = tx.closed() => return,
            };
            match next {
                // Replayed already (sent between subscribing and replaying).
                Ok(event) if last.is_some_and(|l| event.no <= l) => {}
                Ok(event) => {
                    last = Some(event.no);
                    if tx.send(Ok(convert::change_event(&event, false))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let status = to_status(&ApiError::WatchLagged { missed, last_delivered: last });
                    let _ = tx.send(Err(status)).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(out)
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::NotFound => "NOT_FOUND",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Unavailable => "UNAVAILABLE",
        Code::Internal => "INTERNAL",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        _ => "OTHER",
    }
}

/// Proto ↔ core conversion, in one place.
pub mod convert {
    use std::fmt;
    use std::sync::Arc;

    use base64::Engine;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::super::proto;
    use super::super::state::{Loaded, RefreshStatus};
    use super::ApiError;
    use crate::attestation::{AttestationResult, Expectations, Reason, MAX_X5C};
    use crate::trust_store::Entry;
    use crate::x509::Cert;

    /// How GetAuthenticator / ValidateAttestationChain name an entry.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum LookupKey {
        Aaguid(Uuid),
        /// Lowercase hex.
        KeyIdentifier(String),
        Aaid(String),
    }

    impl LookupKey {
        /// The core's name for the same lookup.
        pub fn entry_key(&self) -> crate::attestation::EntryKey<'_> {
            use crate::attestation::EntryKey;
            match self {
                LookupKey::Aaguid(u) => EntryKey::Aaguid(u),
                LookupKey::KeyIdentifier(k) => EntryKey::KeyIdentifier(k),
                LookupKey::Aaid(a) => EntryKey::Aaid(a),
            }
        }
    }

    impl fmt::Display for LookupKey {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                LookupKey::Aaguid(u) => write!(f, "AAGUID {u}"),
                LookupKey::KeyIdentifier(k) => write!(f, "key identifier {k}"),
                LookupKey::Aaid(a) => write!(f, "AAID {a}"),
            }
        }
    }

    /// Most bytes of clientDataJSON accepted.
    const MAX_CLIENT_DATA: usize = 64 * 1024;
    /// Most origins accepted.
    const MAX_ORIGINS: usize = 64;

    /// Checks a VerifyRegistrationRequest and builds the ceremony expectations (`None` when
    /// no ceremony check was asked for).
    pub fn expectations(
        req: &proto::VerifyRegistrationRequest,
    ) -> Result<Option<Expectations>, ApiError> {
        if req.attestation_object.is_empty() {
            return Err(ApiError::invalid("attestation_object", "required"));
        }
        if req.client_data_json.is_empty() {
            return Err(ApiError::invalid("client_data_json", "required"));
        }
        if req.client_data_json.len() > MAX_CLIENT_DATA {
            return Err(ApiError::invalid(
                "client_data_json",
                format!("{} bytes, more than {MAX_CLIENT_DATA}", req.client_data_json.len()),
            ));
        }
        if req.origins.len() > MAX_ORIGINS {
            return Err(ApiError::invalid("origins", format!("more than {MAX_ORIGINS}")));
        }
        if req.top_origins.len() > MAX_ORIGINS {
            return Err(ApiError::invalid("top_origins", format!("more than {MAX_ORIGINS}")));
        }
        if let Some((i, _)) = req.origins.iter().enumerate().find(|(_, o)| o.is_empty()) {
            return Err(ApiError::invalid(format!("origins[{i}]"), "empty origin"));
        }
        let any = !req.rp_id.is_empty()
            || !req.origins.is_empty()
            || !req.top_origins.is_empty()
            || !req.challenge.is_empty()
            || req.require_user_verification.is_some()
            || req.require_user_presence.is_some();
        if !any {
            return Ok(None);
        }
        Ok(Some(Expectations {
            rp_id: Some(req.rp_id.clone()).filter(|s| !s.is_empty()),
            origins: req.origins.clone(),
            challenge: Some(req.challenge.clone()).filter(|c| !c.is_empty()),
            // Cross-origin must be expected explicitly once origins are checked.
            top_origins: if req.top_origins.is_empty() && req.origins.is_empty() {
                None
            } else {
                Some(req.top_origins.clone())
            },
            require_user_presence: req.require_user_presence.unwrap_or(true),
            require_user_verification: req.require_user_verification.unwrap_or(false),
        }))
    }

    /// The response for a core attestation result.
    pub fn registration_response(
        r: &AttestationResult,
        metadata_no: u64,
        stale: bool,
        ceremony_checked: bool,
    ) -> proto::VerifyRegistrationResponse {
        let verdict = if r.trusted { proto::Verdict::Accepted } else { proto::Verdict::Rejected };
        proto::VerifyRegistrationResponse {
            verdict: verdict as i32,
            trusted: r.trusted,
            format: r
                .format
                .map(|f| f.as_str().to_string())
                .or_else(|| r.fmt.clone())
                .unwrap_or_default(),
            attestation_type: r
                .attestation_type
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            aaguid: r.aaguid.map(|u| u.hyphenated().to_string()).unwrap_or_default(),
            credential_kind: match r.credential_kind {
                Some(crate::attestation::CredentialKind::DeviceBound) => {
                    proto::CredentialKind::DeviceBound
                }
                Some(crate::attestation::CredentialKind::Synced) => proto::CredentialKind::Synced,
                None => proto::CredentialKind::Unspecified,
            } as i32,
            reasons: r.reasons.iter().map(reason).collect(),
            metadata_no: r.metadata_no.unwrap_or(metadata_no),
            metadata_stale: stale,
            statement_valid: r.statement_valid,
            authenticator: r.authenticator.as_ref().map(|a| proto::AuthenticatorSummary {
                description: a.description.clone().unwrap_or_default(),
                status: a.status.clone().unwrap_or_default(),
                key_scope: a.key_scope.clone().unwrap_or_default(),
                multi_device_credential_support: a
                    .multi_device_credential_support
                    .clone()
                    .unwrap_or_default(),
                verified: a.verified,
            }),
            trust_path: r.trust_path.clone(),
            anchor: r.anchor.as_ref().map(|(sha256, label)| proto::TrustAnchor {
                sha256: sha256.clone(),
                label: label.clone(),
            }),
            credential_id: r.credential_id.clone().unwrap_or_default(),
            credential_public_key: r.credential_public_key.clone().unwrap_or_default(),
            credential_alg: r.credential_alg,
            sign_count: r.sign_count.unwrap_or_default(),
            flags: r.flags.map(|f| proto::AuthenticatorFlags {
                raw: u32::from(f.0),
                user_present: f.user_present(),
                user_verified: f.user_verified(),
                backup_eligible: f.backup_eligible(),
                backed_up: f.backed_up(),
                attested_credential_data: f.attested_credential_data(),
                extension_data: f.extension_data(),
            }),
            kind_conflict: r.kind_conflict.clone().unwrap_or_default(),
            ceremony_checked,
            policy: None,
            attestation_trust: String::new(),
            provenance: Some(provenance(r)),
            notes: r.notes.iter().map(reason).collect(),
        }
    }

    /// Where the facts of a registration result come from.
    pub fn provenance(r: &AttestationResult) -> proto::Provenance {
        use crate::attestation::MetadataKey;
        use proto::provenance::MetadataKey as Key;
        proto::Provenance {
            coverage: r.provenance.coverage.map(|c| c.as_str().to_string()).unwrap_or_default(),
            entry_selected_by: r
                .provenance
                .entry_selected_by
                .as_ref()
                .map(|s| s.kind().to_string())
                .unwrap_or_default(),
            metadata_key: r.metadata_key().map(|k| match k {
                MetadataKey::Aaguid(u) => Key::Aaguid(u.hyphenated().to_string()),
                MetadataKey::KeyIdentifier(k) => Key::KeyIdentifier(k),
            }),
            claimed: r.provenance.claimed.iter().map(|f| f.as_str().to_string()).collect(),
        }
    }

    /// Checks an EvaluateAuthenticationRequest: AAGUID, flags byte, stored trust.
    pub fn authentication_request(
        req: &proto::EvaluateAuthenticationRequest,
    ) -> Result<
        (Option<Uuid>, crate::attestation::Flags, Option<crate::policy::AttestationTrust>),
        ApiError,
    > {
        use crate::policy::AttestationTrust;
        let aaguid = match req.aaguid.as_str() {
            "" => None,
            s => Some(parse_aaguid("aaguid", s)?),
        };
        let flags = u8::try_from(req.flags)
            .map_err(|_| ApiError::invalid("flags", format!("{} is not one byte", req.flags)))?;
        let trust = match req.registration_trust.as_str() {
            "" => None,
            "metadata" => Some(AttestationTrust::Metadata),
            "operator_anchor" => Some(AttestationTrust::OperatorAnchor),
            "untrusted" => Some(AttestationTrust::Untrusted),
            other => {
                return Err(ApiError::invalid(
                    "registration_trust",
                    format!("{other:?} is not metadata, operator_anchor or untrusted"),
                ))
            }
        };
        Ok((aaguid, crate::attestation::Flags(flags), trust))
    }

    /// A passkey-profile decision.
    pub fn policy_decision(d: &crate::policy::Decision) -> proto::PolicyDecision {
        let failure = |f: &crate::policy::Failure| proto::Reason {
            code: f.code.as_str().to_string(),
            message: f.message.clone(),
        };
        proto::PolicyDecision {
            allowed: d.allowed,
            profile: d.profile.clone().unwrap_or_default(),
            failures: d.failures.iter().map(failure).collect(),
            notes: d
                .notes
                .iter()
                .map(|n| proto::Reason {
                    code: n.code.as_str().to_string(),
                    message: n.message.clone(),
                })
                .collect(),
            outcomes: d
                .outcomes
                .iter()
                .map(|o| proto::ProfileOutcome {
                    profile: o.profile.clone(),
                    failures: o.failures.iter().map(failure).collect(),
                })
                .collect(),
        }
    }

    pub fn reason(r: &Reason) -> proto::Reason {
        proto::Reason { code: r.code.as_str().to_string(), message: r.message.clone() }
    }

    pub fn verdict_name(v: i32) -> &'static str {
        match proto::Verdict::try_from(v) {
            Ok(proto::Verdict::Accepted) => "ACCEPTED",
            Ok(proto::Verdict::Rejected) => "REJECTED",
            _ => "UNSPECIFIED",
        }
    }

    /// Checks a ValidateAttestationChainRequest: the entry key and the parsed chain.
    pub fn chain_request(
        req: &proto::ValidateAttestationChainRequest,
    ) -> Result<(LookupKey, Vec<Arc<Cert>>), ApiError> {
        use proto::validate_attestation_chain_request::Authenticator;
        let key = match &req.authenticator {
            Some(Authenticator::Aaguid(s)) => LookupKey::Aaguid(parse_aaguid("aaguid", s)?),
            Some(Authenticator::KeyIdentifier(s)) => {
                LookupKey::KeyIdentifier(parse_key_identifier("key_identifier", s)?)
            }
            None => {
                return Err(ApiError::invalid(
                    "authenticator",
                    "aaguid or key_identifier is required",
                ))
            }
        };
        if req.x5c.is_empty() {
            return Err(ApiError::invalid(
                "x5c",
                "at least the attestation certificate is required",
            ));
        }
        if req.x5c.len() > MAX_X5C {
            return Err(ApiError::invalid(
                "x5c",
                format!("{} certificates, more than {MAX_X5C}", req.x5c.len()),
            ));
        }
        let chain = req
            .x5c
            .iter()
            .enumerate()
            .map(|(i, der)| {
                Cert::from_der(der).map(Arc::new).map_err(|e| {
                    ApiError::invalid(format!("x5c[{i}]"), format!("not a DER certificate: {e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((key, chain))
    }

    /// The ValidateAttestationChain response for the core's trust outcome on `chain`
    /// (metadata_no / metadata_stale are set by the caller).
    pub fn chain_response(
        outcome: &crate::attestation::TrustOutcome,
        chain: &[Arc<Cert>],
        now: OffsetDateTime,
    ) -> proto::ValidateAttestationChainResponse {
        let verdict =
            if outcome.trusted { proto::Verdict::Accepted } else { proto::Verdict::Rejected };
        proto::ValidateAttestationChainResponse {
            verdict: verdict as i32,
            trusted: outcome.trusted,
            // The entry is "verified" when the validated chain identifies it.
            authenticator: outcome.entry.as_ref().map(|e| summary(e, now, outcome.entry_verified)),
            trust_path: match &outcome.path {
                Some(path) => path.chain.iter().map(|c| c.sha256_hex()).collect(),
                None => chain.iter().map(|c| c.sha256_hex()).collect(),
            },
            anchor: outcome.path.as_ref().map(|path| proto::TrustAnchor {
                sha256: path.anchor.sha256_hex(),
                label: outcome.anchor_label.clone().unwrap_or_default(),
            }),
            reasons: outcome.reasons.iter().map(reason).collect(),
            ..Default::default()
        }
    }

    /// Where the BLOB came from, as callers may see it: a URL without credentials or query, or
    /// "local file" for a file source (its path is server-side detail, logged at start-up only).
    pub fn public_source(source: &str) -> String {
        match source.split_once("://") {
            Some((scheme, rest)) if !scheme.eq_ignore_ascii_case("file") => {
                let rest = rest.split(['?', '#']).next().unwrap_or_default();
                let rest = match rest.split_once('@') {
                    Some((userinfo, host)) if !userinfo.contains('/') => host,
                    _ => rest,
                };
                format!("{scheme}://{rest}")
            }
            _ => "local file".to_string(),
        }
    }

    /// Checks a GetAuthenticatorRequest.
    pub fn lookup_key(req: proto::GetAuthenticatorRequest) -> Result<LookupKey, ApiError> {
        use proto::get_authenticator_request::Key;
        match req.key {
            Some(Key::Aaguid(s)) => Ok(LookupKey::Aaguid(parse_aaguid("aaguid", &s)?)),
            Some(Key::KeyIdentifier(s)) => {
                Ok(LookupKey::KeyIdentifier(parse_key_identifier("key_identifier", &s)?))
            }
            Some(Key::Aaid(s)) => {
                // UAF AAID: "VVVV#MMMM" (hex vendor and model).
                let ok = s.len() == 9
                    && s.as_bytes().get(4) == Some(&b'#')
                    && s.chars().enumerate().all(|(i, c)| i == 4 || c.is_ascii_hexdigit());
                if !ok {
                    return Err(ApiError::invalid("aaid", format!("{s:?} is not VVVV#MMMM (hex)")));
                }
                Ok(LookupKey::Aaid(s))
            }
            None => {
                Err(ApiError::invalid("key", "one of aaguid, key_identifier or aaid is required"))
            }
        }
    }

    fn parse_aaguid(field: &str, s: &str) -> Result<Uuid, ApiError> {
        // Only the canonical hyphenated form (any case): no braces, URNs or bare hex.
        if s.len() != 36 {
            return Err(ApiError::invalid(field, format!("{s:?} is not a canonical UUID")));
        }
        Uuid::try_parse(s).map_err(|e| ApiError::invalid(field, format!("{s:?}: {e}")))
    }

    fn parse_key_identifier(field: &str, s: &str) -> Result<String, ApiError> {
        // SHA-1 of the subjectPublicKey: 20 bytes, 40 hex digits.
        if s.len() != 40 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ApiError::invalid(field, format!("{s:?} is not 40 hex digits")));
        }
        Ok(s.to_ascii_lowercase())
    }

    /// What the metadata says, for VerifyRegistration-style summaries.
    pub fn summary(e: &Entry, now: OffsetDateTime, verified: bool) -> proto::AuthenticatorSummary {
        proto::AuthenticatorSummary {
            description: e.description().unwrap_or_default().to_string(),
            status: e
                .current_status(now)
                .map(|s| s.status.as_str().to_string())
                .unwrap_or_default(),
            key_scope: e.key_scope().unwrap_or_default().to_string(),
            multi_device_credential_support: e
                .multi_device_credential_support()
                .unwrap_or_default()
                .to_string(),
            verified,
        }
    }

    /// A full entry.
    pub fn authenticator(e: &Entry, now: OffsetDateTime, with_json: bool) -> proto::Authenticator {
        proto::Authenticator {
            aaguid: e.aaguid().map(|u| u.hyphenated().to_string()).unwrap_or_default(),
            aaid: e.aaid().unwrap_or_default().to_string(),
            key_identifiers: e.key_identifiers().to_vec(),
            description: e.description().unwrap_or_default().to_string(),
            authenticator_version: e.authenticator_version(),
            attestation_types: e.attestation_types().to_vec(),
            key_scope: e.key_scope().unwrap_or_default().to_string(),
            multi_device_credential_support: e
                .multi_device_credential_support()
                .unwrap_or_default()
                .to_string(),
            current_status: e
                .current_status(now)
                .map(|s| s.status.as_str().to_string())
                .unwrap_or_default(),
            status_reports: e
                .status_reports()
                .iter()
                .map(|s| proto::StatusReport {
                    status: s.status.as_str().to_string(),
                    effective_date: s.effective_date.map(|d| d.to_string()).unwrap_or_default(),
                    authenticator_version: s.authenticator_version,
                    certificate: s
                        .certificate
                        .as_ref()
                        .map(|c| c.der().to_vec())
                        .unwrap_or_default(),
                    url: s.url.clone().unwrap_or_default(),
                    certification_descriptor: s
                        .certification_descriptor
                        .clone()
                        .unwrap_or_default(),
                })
                .collect(),
            attestation_root_sha256: e.attestation_roots().iter().map(|c| c.sha256_hex()).collect(),
            entry_json: if with_json { e.raw_json().to_string() } else { String::new() },
        }
    }

    /// GetMetadataInfo.policy from the reload state; `None` without `[policy]`.
    pub fn policy_info(
        holder: &super::super::policy_reload::PolicyHolder,
    ) -> Option<proto::PolicyInfo> {
        let set = holder.current();
        let status = holder.status();
        if set.is_none() && status.last_error.is_none() {
            return None;
        }
        let mut profiles: Vec<String> = Vec::new();
        if let Some(set) = &set {
            profiles.extend(set.profiles().iter().map(|p| p.name().to_string()));
            profiles.extend(set.default_profile().map(|p| p.name().to_string()));
        }
        Some(proto::PolicyInfo {
            sha256: status.sha256.clone().unwrap_or_default(),
            generation: status.generation,
            loaded_at: status.loaded_at.map(timestamp),
            profiles,
            last_reload_error: status.last_error.clone().unwrap_or_default(),
            last_reload_at: status.last_reload_at.map(timestamp),
            config_file: holder.config_file().map(|p| p.display().to_string()).unwrap_or_default(),
        })
    }

    /// Most bytes of an echoed credential id.
    const MAX_CREDENTIAL_ID: usize = 1024;

    /// Checks one RegisteredCredential (fields named `credentials[i].…`) and builds the stored
    /// facts, plus the sign-in facts when a policy decision is wanted.
    pub fn stored_credential(
        i: usize,
        c: &proto::RegisteredCredential,
        with_policy: bool,
    ) -> Result<crate::daemon::credentials::BatchItem, ApiError> {
        use crate::daemon::credentials::{
            BatchItem, CredentialKey, StoredCredential, MAX_FINGERPRINTS,
        };
        use proto::registered_credential::Authenticator;
        let field = |f: &str| format!("credentials[{i}].{f}");
        let key = match &c.authenticator {
            Some(Authenticator::Aaguid(s)) => {
                CredentialKey::Aaguid(parse_aaguid(&field("aaguid"), s)?)
            }
            Some(Authenticator::KeyIdentifier(s)) => {
                CredentialKey::KeyIdentifier(parse_key_identifier(&field("key_identifier"), s)?)
            }
            None => {
                return Err(ApiError::invalid(
                    field("authenticator"),
                    "one of aaguid or key_identifier is required",
                ))
            }
        };
        if c.attestation_sha256.len() > MAX_FINGERPRINTS {
            return Err(ApiError::invalid(
                field("attestation_sha256"),
                format!(
                    "{} fingerprints, more than {MAX_FINGERPRINTS}",
                    c.attestation_sha256.len()
                ),
            ));
        }
        for (j, f) in c.attestation_sha256.iter().enumerate() {
            if f.len() != 64 || !f.chars().all(|ch| ch.is_ascii_hexdigit()) {
                return Err(ApiError::invalid(
                    format!("credentials[{i}].attestation_sha256[{j}]"),
                    format!("{f:?} is not 64 hex digits (SHA-256)"),
                ));
            }
        }
        if c.credential_id.len() > MAX_CREDENTIAL_ID {
            return Err(ApiError::invalid(
                field("credential_id"),
                format!("{} bytes, more than {MAX_CREDENTIAL_ID}", c.credential_id.len()),
            ));
        }
        let registered_at = match &c.registered_at {
            None => None,
            Some(t) => Some(
                OffsetDateTime::from_unix_timestamp(t.seconds)
                    .map_err(|e| ApiError::invalid(field("registered_at"), e.to_string()))?,
            ),
        };
        let facts = if with_policy {
            let request = proto::EvaluateAuthenticationRequest {
                aaguid: match &key {
                    CredentialKey::Aaguid(u) => u.hyphenated().to_string(),
                    CredentialKey::KeyIdentifier(_) => String::new(),
                },
                flags: c.flags,
                registration_trust: c.registration_trust.clone(),
                ..Default::default()
            };
            let (aaguid, flags, trust) = authentication_request(&request).map_err(|e| match e {
                ApiError::InvalidArgument { field: f, reason } => {
                    ApiError::InvalidArgument { field: field(&f), reason }
                }
                other => other,
            })?;
            let mut facts = crate::policy::AuthenticationFacts::new(aaguid, flags);
            facts.registration_trust = trust;
            Some(facts)
        } else {
            None
        };
        let fingerprints = c.attestation_sha256.iter().map(|f| f.to_ascii_lowercase()).collect();
        Ok(BatchItem { stored: StoredCredential { key, fingerprints, registered_at }, facts })
    }

    /// One CheckCredentials result.
    pub fn credential_check(
        index: usize,
        credential_id: Vec<u8>,
        v: &crate::daemon::credentials::CredentialVerdict,
        decision: Option<&crate::policy::Decision>,
    ) -> proto::CredentialCheck {
        proto::CredentialCheck {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            credential_id,
            trusted: v.trusted,
            reasons: v
                .reasons
                .iter()
                .map(|r| proto::Reason {
                    code: r.code.as_str().to_string(),
                    message: r.message.clone(),
                })
                .collect(),
            current_status: v.current_status.clone().unwrap_or_default(),
            status_effective_date: v
                .status_effective_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
            changed_since_registration: v.changed_since_registration,
            description: v.description.clone().unwrap_or_default(),
            policy: decision.map(policy_decision),
        }
    }

    /// One WatchStatusChanges event.
    pub fn change_event(
        e: &crate::daemon::watch::ChangeEvent,
        replayed: bool,
    ) -> proto::StatusChangeEvent {
        use crate::daemon::watch::ChangeKind;
        proto::StatusChangeEvent {
            metadata_no: e.no,
            previous_no: e.previous_no,
            changes: e
                .changes
                .iter()
                .map(|c| proto::StatusChange {
                    kind: match c.kind {
                        ChangeKind::StatusChanged => proto::ChangeKind::StatusChanged,
                        ChangeKind::Added => proto::ChangeKind::Added,
                        ChangeKind::Removed => proto::ChangeKind::Removed,
                    } as i32,
                    aaguid: c.aaguid.map(|u| u.hyphenated().to_string()).unwrap_or_default(),
                    key_identifiers: c.key_identifiers.clone(),
                    aaid: c.aaid.clone().unwrap_or_default(),
                    description: c.description.clone().unwrap_or_default(),
                    old_status: c.old_status.clone().unwrap_or_default(),
                    new_status: c.new_status.clone().unwrap_or_default(),
                    effective_date: c.effective_date.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
            replayed,
            installed_at: Some(timestamp(e.installed_at)),
        }
    }

    /// `base64url("v1:<no>:<offset>")`.
    pub fn page_token(no: u64, offset: usize) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{no}:{offset}"))
    }

    pub fn parse_page_token(token: &str) -> Result<(u64, usize), ApiError> {
        let bad = || ApiError::invalid("page_token", "not a token this server issued");
        let raw =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = text.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("v1"), Some(no), Some(offset), None) => {
                Ok((no.parse().map_err(|_| bad())?, offset.parse().map_err(|_| bad())?))
            }
            _ => Err(bad()),
        }
    }

    fn timestamp(t: OffsetDateTime) -> prost_types::Timestamp {
        prost_types::Timestamp {
            seconds: t.unix_timestamp(),
            nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
        }
    }

    /// GetMetadataInfo from the shared state.
    pub fn metadata_info(
        loaded: Option<&Loaded>,
        status: &RefreshStatus,
        serve_until: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> proto::GetMetadataInfoResponse {
        let mut info = proto::GetMetadataInfoResponse {
            last_error: status.last_error.clone().unwrap_or_default(),
            last_refresh_at: status.last_refresh_at.map(timestamp),
            next_refresh_at: status.next_refresh_at.map(timestamp),
            ..Default::default()
        };
        let Some(loaded) = loaded else { return info };
        let blob = &loaded.blob;
        info.loaded = true;
        info.no = blob.no;
        info.next_update = blob.next_update.to_string();
        info.source = if loaded.restored {
            format!("state-dir (originally {})", public_source(&loaded.source))
        } else {
            public_source(&loaded.source)
        };
        info.fetched_at = Some(timestamp(loaded.fetched_at));
        info.verified_at = Some(timestamp(loaded.verified_at));
        info.anchor = Some(proto::TrustAnchor {
            sha256: blob.anchor.cert.sha256_hex(),
            label: blob.anchor.label.clone(),
        });
        info.entry_count = u32::try_from(blob.store.entries().len()).unwrap_or(u32::MAX);
        info.quarantined = blob
            .quarantined
            .iter()
            .map(|q| proto::QuarantinedEntry {
                index: u32::try_from(q.index).unwrap_or(u32::MAX),
                id: q.id.clone().unwrap_or_default(),
                reason: q.reason.to_string(),
            })
            .collect();
        info.stale = blob.is_stale(now);
        info.serve_until = serve_until.map(timestamp);
        info.jws_alg = blob.alg.as_str().to_string();
        info.revocation_checked = blob.revocation_checked;
        info.legal_header = blob.legal_header.clone().unwrap_or_default();
        info.entry_warnings = blob
            .warnings
            .iter()
            .map(|w| proto::EntryWarning {
                index: u32::try_from(w.index).unwrap_or(u32::MAX),
                id: w.id.clone().unwrap_or_default(),
                note: w.note.to_string(),
            })
            .collect();
        let counts = |m: &std::collections::BTreeMap<String, usize>| {
            m.iter().map(|(k, v)| (k.clone(), u32::try_from(*v).unwrap_or(u32::MAX))).collect()
        };
        info.unknown_fields = counts(&blob.unknown.fields);
        info.unknown_statuses = counts(&blob.unknown.statuses);
        info
    }
}

#[cfg(test)]
mod tests {
    use super::convert::*;
    use super::*;
    use crate::daemon::proto;

    fn details(status: &Status) -> ErrorDetails {
        status.get_error_details()
    }

    #[test]
    fn invalid_argument_echo_is_bounded() {
        let junk = "\u{0}\u{ffff}".repeat(10_000);
        let status = to_status(&ApiError::invalid("aaguid", format!("{junk:?} is not a UUID")));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().len() < 2 * MAX_ECHO_CHARS * 4, "{}", status.message().len());
        assert!(status.message().contains("bytes in all"));
        let short = to_status(&ApiError::invalid("aaguid", "\"x\" is not a UUID"));
        assert_eq!(short.message(), "aaguid: \"x\" is not a UUID");
    }

    #[test]
    fn invalid_argument_carries_field_violation_and_reason() {
        let status = to_status(&ApiError::invalid("x5c[2]", "not a DER certificate"));
        assert_eq!(status.code(), Code::InvalidArgument);
        let d = details(&status);
        let bad = d.bad_request().unwrap();
        assert_eq!(bad.field_violations[0].field, "x5c[2]");
        assert_eq!(d.error_info().unwrap().reason, "INVALID_ARGUMENT");
        assert_eq!(d.error_info().unwrap().domain, ERROR_DOMAIN);
    }

    #[test]
    fn metadata_unavailability_maps_to_unavailable_and_failed_precondition() {
        let s =
            to_status(&ApiError::Metadata(Unavailable::NotLoaded { last_error: Some("x".into()) }));
        assert_eq!(s.code(), Code::Unavailable);
        assert_eq!(details(&s).error_info().unwrap().reason, "METADATA_NOT_LOADED");
        let s = to_status(&ApiError::Metadata(Unavailable::StaleBeyondGrace {
            no: 7,
            next_update: time::macros::date!(2026 - 01 - 01),
            serve_until: time::macros::datetime!(2026-01-09 00:00 UTC),
        }));
        assert_eq!(s.code(), Code::FailedPrecondition);
        let info = details(&s).error_info().unwrap().clone();
        assert_eq!(info.reason, "METADATA_STALE");
        assert_eq!(info.metadata["metadata_no"], "7");
        assert_eq!(to_status(&ApiError::NotFound { what: "x".into() }).code(), Code::NotFound);
        assert_eq!(to_status(&ApiError::Internal("x".into())).code(), Code::Internal);
    }

    fn request() -> proto::VerifyRegistrationRequest {
        proto::VerifyRegistrationRequest {
            attestation_object: vec![0xa0],
            client_data_json: b"{}".to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn expectations_only_when_asked_for() {
        assert_eq!(expectations(&request()).unwrap(), None);
        let mut req = request();
        req.rp_id = "example.org".into();
        let e = expectations(&req).unwrap().unwrap();
        assert_eq!(e.rp_id.as_deref(), Some("example.org"));
        assert!(e.require_user_presence);
        assert!(!e.require_user_verification);
        assert_eq!(e.challenge, None);
        assert_eq!(e.top_origins, None);
        let mut req = request();
        req.origins = vec!["https://example.org".into()];
        assert_eq!(expectations(&req).unwrap().unwrap().top_origins, Some(vec![]));
        req.top_origins = vec!["https://top.example".into()];
        assert_eq!(
            expectations(&req).unwrap().unwrap().top_origins,
            Some(vec!["https://top.example".to_string()])
        );
        let mut req = request();
        req.require_user_verification = Some(true);
        req.challenge = vec![1, 2, 3];
        let e = expectations(&req).unwrap().unwrap();
        assert!(e.require_user_verification);
        assert_eq!(e.challenge, Some(vec![1, 2, 3]));
    }

    #[test]
    fn malformed_registration_requests_name_the_field() {
        let field = |req: &proto::VerifyRegistrationRequest| match expectations(req) {
            Err(ApiError::InvalidArgument { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut req = request();
        req.attestation_object.clear();
        assert_eq!(field(&req), "attestation_object");
        let mut req = request();
        req.client_data_json.clear();
        assert_eq!(field(&req), "client_data_json");
        let mut req = request();
        req.client_data_json = vec![b' '; 64 * 1024 + 1];
        assert_eq!(field(&req), "client_data_json");
        let mut req = request();
        req.origins = vec!["https://a.example".into(), String::new()];
        assert_eq!(field(&req), "origins[1]");
    }

    #[test]
    fn lookup_keys_are_checked() {
        use proto::get_authenticator_request::Key;
        let key = |k: Key| lookup_key(proto::GetAuthenticatorRequest { key: Some(k) });
        assert_eq!(
            key(Key::Aaguid("CB69481E-8FF7-4039-93EC-0A2729A154A8".into())).unwrap(),
            LookupKey::Aaguid("cb69481e-8ff7-4039-93ec-0a2729a154a8".parse().unwrap())
        );
        assert!(key(Key::Aaguid("cb69481e8ff7403993ec0a2729a154a8".into())).is_err());
        assert!(key(Key::Aaguid("{cb69481e-8ff7-4039-93ec-0a2729a154a8}".into())).is_err());
        assert_eq!(
            key(Key::KeyIdentifier("ABCDEF0123456789ABCDEF0123456789ABCDEF01".into())).unwrap(),
            LookupKey::KeyIdentifier("abcdef0123456789abcdef0123456789abcdef01".into())
        );
        assert!(key(Key::KeyIdentifier("abc".into())).is_err());
        assert_eq!(
            key(Key::Aaid("4e4e#4005".into())).unwrap(),
            LookupKey::Aaid("4e4e#4005".into())
        );
        assert!(key(Key::Aaid("4e4e-4005".into())).is_err());
        assert!(lookup_key(proto::GetAuthenticatorRequest { key: None }).is_err());
    }

    #[test]
    fn chain_requests_are_checked() {
        use proto::validate_attestation_chain_request::Authenticator;
        let mut req = proto::ValidateAttestationChainRequest {
            authenticator: Some(Authenticator::Aaguid(
                "cb69481e-8ff7-4039-93ec-0a2729a154a8".into(),
            )),
            x5c: vec![],
        };
        assert!(
            matches!(chain_request(&req), Err(ApiError::InvalidArgument { field, .. }) if field == "x5c")
        );
        req.x5c = vec![vec![0x30, 0x00]];
        assert!(
            matches!(chain_request(&req), Err(ApiError::InvalidArgument { field, .. }) if field == "x5c[0]")
        );
        req.x5c = vec![vec![0x30]; MAX_X5C_PLUS_ONE];
        assert!(
            matches!(chain_request(&req), Err(ApiError::InvalidArgument { field, .. }) if field == "x5c")
        );
        req.authenticator = None;
        assert!(chain_request(&req).is_err());
    }
    fn event(no: u64) -> crate::daemon::watch::ChangeEvent {
        crate::daemon::watch::ChangeEvent {
            no,
            previous_no: no - 1,
            changes: vec![],
            installed_at: time::macros::datetime!(2026-01-01 00:00 UTC),
        }
    }

    /// A subscriber that falls behind the buffer gets the events it could read, then ABORTED
    /// with WATCH_LAGGED naming how many it missed and where to resume: never a silent gap.
    #[tokio::test]
    async fn a_lagging_watch_stream_ends_with_an_explicit_error() {
        use tokio_stream::StreamExt;
        let hub = crate::daemon::watch::WatchHub::new(2, 16);
        let (replay, rx) = hub.subscribe(None, Some(1)).unwrap();
        let stream = watch_stream(replay, rx, None);
        for no in 2..=6 {
            hub.publish(event(no));
        }
        let items: Vec<_> = stream.take(3).collect().await;
        let status = items[0].as_ref().unwrap_err();
        assert_eq!(status.code(), Code::Aborted);
        let info = details(status).error_info().unwrap().clone();
        assert_eq!(info.reason, "WATCH_LAGGED");
        assert_eq!(info.metadata["missed"], "3");
        assert_eq!(items.len(), 1, "the stream ends after the lag error");
    }

    /// Replay then live, each event once (an event published between subscribing and the
    /// replay is not sent twice); shutdown ends the stream cleanly.
    #[tokio::test]
    async fn watch_stream_replays_then_goes_live_without_duplicates() {
        use tokio_stream::StreamExt;
        let hub = crate::daemon::watch::WatchHub::new(8, 16);
        hub.publish(event(2));
        hub.publish(event(3));
        let (replay, rx) = hub.subscribe(Some(1), Some(3)).unwrap();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut stream = watch_stream(replay, rx, Some(stop_rx));
        hub.publish(event(4));
        let mut got = Vec::new();
        for _ in 0..3 {
            let e = stream.next().await.unwrap().unwrap();
            got.push((e.metadata_no, e.replayed));
        }
        assert_eq!(got, [(2, true), (3, true), (4, false)]);
        stop_tx.send(true).unwrap();
        assert!(stream.next().await.is_none());
    }

    const MAX_X5C_PLUS_ONE: usize = crate::attestation::MAX_X5C + 1;

    #[test]
    fn page_tokens_round_trip_and_reject_garbage() {
        assert_eq!(parse_page_token(&page_token(121, 50)).unwrap(), (121, 50));
        assert!(parse_page_token("garbage!").is_err());
        let forged =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, "v2:1:2");
        assert!(parse_page_token(&forged).is_err());
    }

    #[test]
    fn verdict_follows_trusted() {
        let r = crate::attestation::Verifier::default().verify_registration(
            &RegistrationInput {
                attestation_object: &[0xa0],
                client_data_json: b"{}",
                expectations: None,
            },
            None,
            OffsetDateTime::now_utc(),
        );
        let resp = registration_response(&r, 5, false, false);
        assert!(!resp.trusted);
        assert_eq!(resp.verdict, proto::Verdict::Rejected as i32);
        assert_eq!(resp.metadata_no, 5);
        assert!(!resp.reasons.is_empty());
        assert_eq!(resp.reasons[0].code, "MALFORMED_ATTESTATION_OBJECT");
    }

    #[test]
    fn metadata_source_carries_no_server_side_detail() {
        use super::convert::public_source;
        assert_eq!(public_source("https://mds.fidoalliance.org/"), "https://mds.fidoalliance.org/");
        assert_eq!(
            public_source("https://user:secret@mirror.example/blob?token=x#f"),
            "https://mirror.example/blob"
        );
        assert_eq!(public_source("/srv/operator-private/blob.jwt"), "local file");
        assert_eq!(public_source("file:///srv/x/blob.jwt"), "local file");
    }

    /// Where each RPC does its work: on the worker when the cost is bounded (cached chain
    /// outcomes, `none`, small batches), on the bounded blocking pool otherwise.
    mod offload {
        use std::time::Duration;

        use base64::Engine;
        use ciborium::Value;

        use super::*;
        use crate::daemon::metrics::Metrics;
        use crate::daemon::state::{loaded_for_tests, StalePolicy};

        const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testdata");
        const YUBIKEY: &str = "java-webauthn-server-packed-RealExamples-YubiKey5Nfc";
        const NONE: &str = "w3c-none-es256";
        /// Long enough for any inline answer in a debug build on a loaded machine; a call
        /// waiting for a slow-path permit never ends.
        const PATIENCE: Duration = Duration::from_secs(5);
        const WAIT: Duration = Duration::from_millis(300);

        fn vector(id: &str) -> serde_json::Value {
            let path = format!("{SHARED}/attestations/vectors.json");
            let all: Vec<serde_json::Value> =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            all.into_iter().find(|v| v["id"] == id).unwrap()
        }

        fn b64(v: &serde_json::Value, field: &str) -> Vec<u8> {
            let s = v[field].as_str().unwrap().trim_end_matches('=');
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
        }

        fn registration(id: &str) -> proto::VerifyRegistrationRequest {
            let v = vector(id);
            proto::VerifyRegistrationRequest {
                attestation_object: b64(&v, "attestationObject_b64url"),
                client_data_json: b64(&v, "clientDataJSON_b64url"),
                ..Default::default()
            }
        }

        fn x5c(id: &str) -> Vec<Vec<u8>> {
            let object: Value =
                ciborium::from_reader(&b64(&vector(id), "attestationObject_b64url")[..]).unwrap();
            let top = object.as_map().unwrap();
            let stmt = top.iter().find(|(k, _)| k.as_text() == Some("attStmt")).unwrap();
            let x5c = stmt.1.as_map().unwrap().iter().find(|(k, _)| k.as_text() == Some("x5c"));
            x5c.unwrap()
                .1
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_bytes().unwrap().clone())
                .collect()
        }

        /// A service whose BLOB lists the YubiKey 5 NFC (its AAGUID, Yubico's U2F root).
        fn service() -> Service {
            let root = std::fs::read(format!(
                "{SHARED}/attestations/roots/mds3-2024-12-02__Yubico_U2F_Root_CA_Serial_457200631.der"
            ))
            .unwrap();
            let aaguid = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
            let json = serde_json::json!({"no": 3, "nextUpdate": "2099-01-01", "entries": [{
                "aaguid": aaguid,
                "metadataStatement": {
                    "aaguid": aaguid, "description": "YubiKey 5 NFC", "authenticatorVersion": 1,
                    "protocolFamily": "fido2", "schema": 3, "attestationTypes": ["basic_full"],
                    "attestationRootCertificates":
                        [base64::engine::general_purpose::STANDARD.encode(root)],
                },
                "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
                "timeOfLastStatusChange": "2020-01-01",
            }]});
            let metrics = Arc::new(Metrics::new());
            let shared = Arc::new(Shared::new(
                StalePolicy { grace: Duration::from_secs(86_400), serve_stale: false },
                metrics.clone(),
            ));
            shared.install(loaded_for_tests(&json.to_string(), OffsetDateTime::now_utc()));
            let policy = Arc::new(PolicyHolder::new(None, None, metrics));
            Service::new(shared, Arc::new(Verifier::default()), policy)
        }

        /// A service whose BLOB lists the YubiKey 5 FIPS Series (AAGUID, Yubico's U2F root) and
        /// a U2F entry for the attestation certificate of a real YubiKey NEO (key identifier,
        /// `status`): one vendor root, two models.
        fn u2f_service(status: &str) -> Service {
            let root = std::fs::read(format!(
                "{SHARED}/attestations/roots/mds3-2024-12-02__Yubico_U2F_Root_CA_Serial_457200631.der"
            ))
            .unwrap();
            let root = base64::engine::general_purpose::STANDARD.encode(root);
            let json = serde_json::json!({"no": 4, "nextUpdate": "2099-01-01", "entries": [{
                "aaguid": FIPS,
                "metadataStatement": {
                    "aaguid": FIPS, "description": "YubiKey 5 FIPS Series",
                    "authenticatorVersion": 1, "protocolFamily": "fido2", "schema": 3,
                    "attestationTypes": ["basic_full"], "attestationRootCertificates": [root],
                },
                "statusReports": [{"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2020-01-01"}],
            }, {
                "attestationCertificateKeyIdentifiers": [neo_key_id()],
                "metadataStatement": {
                    "description": "YubiKey NEO", "authenticatorVersion": 1,
                    "protocolFamily": "u2f", "schema": 3,
                    "attestationTypes": ["basic_full"], "attestationRootCertificates": [root],
                },
                "statusReports": [{"status": status, "effectiveDate": "2020-01-01"}],
            }]});
            let metrics = Arc::new(Metrics::new());
            let shared = Arc::new(Shared::new(
                StalePolicy { grace: Duration::from_secs(86_400), serve_stale: false },
                metrics.clone(),
            ));
            shared.install(loaded_for_tests(&json.to_string(), OffsetDateTime::now_utc()));
            let policy = Arc::new(PolicyHolder::new(None, None, metrics));
            Service::new(shared, Arc::new(Verifier::default()), policy)
        }

        const NEO: &str = "java-webauthn-server-fido-u2f-RealExamples-YubiKeyNeo";
        const FIPS: &str = "73bb0cd4-e502-49b8-9c6f-b59445bf720b";

        fn neo_key_id() -> String {
            crate::x509::Cert::from_der(&x5c(NEO)[0]).unwrap().fido_key_identifier()
        }

        /// Issue #11 over the API: the NEO registration with its unsigned AAGUID rewritten to
        /// the FIPS model's is refused (not vouched for as that model), the genuine one names
        /// the key identifier to store, CheckCredentials with that key follows the key's own
        /// entry, and ValidateAttestationChain refuses the NEO chain under the FIPS AAGUID.
        #[tokio::test]
        async fn a_rewritten_fido_u2f_aaguid_is_refused_and_the_key_identifier_is_stored() {
            use proto::provenance::MetadataKey;
            let svc = u2f_service("FIDO_CERTIFIED");
            let genuine = svc.verify_registration(Request::new(registration(NEO))).await.unwrap();
            let genuine = genuine.into_inner();
            assert!(genuine.trusted, "{:?}", genuine.reasons);
            assert_eq!(genuine.authenticator.as_ref().unwrap().description, "YubiKey NEO");
            let p = genuine.provenance.unwrap();
            assert_eq!(p.coverage, "u2f_registration");
            assert_eq!(p.entry_selected_by, "key_identifier");
            assert_eq!(p.metadata_key, Some(MetadataKey::KeyIdentifier(neo_key_id())));
            for fact in ["aaguid", "flags.user_verified", "flags.backup_eligible", "sign_count"] {
                assert!(p.claimed.iter().any(|c| c == fact), "{fact} not claimed: {:?}", p.claimed);
            }

            let mut spoofed = registration(NEO);
            let mut object: Value = ciborium::from_reader(&spoofed.attestation_object[..]).unwrap();
            for (k, v) in object.as_map_mut().unwrap() {
                if k.as_text() == Some("authData") {
                    let auth = v.as_bytes_mut().unwrap();
                    auth[37..53].copy_from_slice(uuid::Uuid::parse_str(FIPS).unwrap().as_bytes());
                    auth[32] |= 0x04;
                }
            }
            spoofed.attestation_object.clear();
            ciborium::into_writer(&object, &mut spoofed.attestation_object).unwrap();
            let r = svc.verify_registration(Request::new(spoofed)).await.unwrap().into_inner();
            assert_eq!(r.verdict, proto::Verdict::Rejected as i32);
            assert!(r.statement_valid);
            assert!(r.reasons.iter().any(|x| x.code == "UNSIGNED_FIELD"), "{:?}", r.reasons);
            assert_ne!(
                r.authenticator.map(|a| a.description).as_deref(),
                Some("YubiKey 5 FIPS Series")
            );
            assert_eq!(r.provenance.unwrap().metadata_key, None);

            // The stored key identifier re-judged by CheckCredentials: trusted today; REVOKED
            // once the key's own entry is.
            let check = || {
                Request::new(proto::CheckCredentialsRequest {
                    credentials: vec![proto::RegisteredCredential {
                        authenticator: Some(
                            proto::registered_credential::Authenticator::KeyIdentifier(neo_key_id()),
                        ),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
            };
            let ok = svc.check_credentials(check()).await.unwrap().into_inner();
            assert!(ok.results[0].trusted);
            let revoked = u2f_service("REVOKED");
            let later = revoked.check_credentials(check()).await.unwrap().into_inner();
            assert!(!later.results[0].trusted);
            assert_eq!(later.results[0].reasons[0].code, "REVOKED");

            // The NEO chain presented under the FIPS AAGUID.
            let req = proto::ValidateAttestationChainRequest {
                authenticator: Some(
                    proto::validate_attestation_chain_request::Authenticator::Aaguid(FIPS.into()),
                ),
                x5c: x5c(NEO),
            };
            let r = svc.validate_attestation_chain(Request::new(req)).await.unwrap().into_inner();
            assert!(!r.trusted);
            assert_eq!(r.reasons[0].code, "ENTRY_MISMATCH", "{:?}", r.reasons);
        }

        /// Takes every slow-path permit (the pool is busy).
        async fn occupy(svc: &Service) -> tokio::sync::SemaphorePermit<'_> {
            svc.slow.acquire_many(u32::try_from(slow_path_permits()).unwrap()).await.unwrap()
        }

        fn counts(svc: &Service) -> (u64, u64) {
            let o = svc.offload_stats();
            (o.inline.load(Ordering::Relaxed), o.offloaded.load(Ordering::Relaxed))
        }

        async fn verify(svc: &Service, id: &str, within: Duration) -> Option<i32> {
            let call = svc.verify_registration(Request::new(registration(id)));
            let r = tokio::time::timeout(within, call).await.ok()?;
            Some(r.unwrap().into_inner().verdict)
        }

        #[tokio::test]
        async fn verify_registration_builds_chains_only_on_the_bounded_pool() {
            let svc = service();
            let accepted = Some(proto::Verdict::Accepted as i32);
            // First sight of the chain, the pool busy: the call waits for a permit (it is not
            // verified on the worker)...
            let busy = occupy(&svc).await;
            assert_eq!(verify(&svc, YUBIKEY, WAIT).await, None, "a chain build ran inline");
            assert_eq!(counts(&svc), (0, 0));
            // ...and runs once a permit is free.
            drop(busy);
            assert_eq!(verify(&svc, YUBIKEY, PATIENCE).await, accepted);
            assert_eq!(counts(&svc), (0, 1));
            // Cached now: answered on the worker even with the pool busy, same verdict.
            let _busy = occupy(&svc).await;
            assert_eq!(verify(&svc, YUBIKEY, PATIENCE).await, accepted);
            assert_eq!(counts(&svc), (1, 1));
            // `none` builds no chain: inline.
            let rejected = Some(proto::Verdict::Rejected as i32);
            assert_eq!(verify(&svc, NONE, PATIENCE).await, rejected);
            assert_eq!(counts(&svc), (2, 1));
        }

        #[tokio::test]
        async fn validate_attestation_chain_builds_only_on_the_bounded_pool() {
            let svc = service();
            let aaguid = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
            let request = || {
                Request::new(proto::ValidateAttestationChainRequest {
                    authenticator: Some(
                        proto::validate_attestation_chain_request::Authenticator::Aaguid(
                            aaguid.clone(),
                        ),
                    ),
                    x5c: x5c(YUBIKEY),
                })
            };
            let busy = occupy(&svc).await;
            let call = svc.validate_attestation_chain(request());
            assert!(tokio::time::timeout(WAIT, call).await.is_err(), "a chain build ran inline");
            drop(busy);
            let r = svc.validate_attestation_chain(request()).await.unwrap().into_inner();
            assert!(r.trusted, "{:?}", r.reasons);
            assert_eq!(r.metadata_no, 3);
            assert_eq!(r.authenticator.unwrap().description, "YubiKey 5 NFC");
            assert_eq!(counts(&svc), (0, 1));
            let _busy = occupy(&svc).await;
            let call = svc.validate_attestation_chain(request());
            let cached = tokio::time::timeout(PATIENCE, call).await.unwrap().unwrap().into_inner();
            assert!(cached.trusted);
            assert_eq!(cached.anchor, r.anchor);
            assert_eq!(counts(&svc), (1, 1));
        }

        #[tokio::test]
        async fn check_credentials_sends_only_large_batches_to_the_pool() {
            let svc = service();
            let aaguid = vector(YUBIKEY)["aaguid"].as_str().unwrap().to_string();
            let batch = |n: usize| {
                let one = proto::RegisteredCredential {
                    authenticator: Some(proto::registered_credential::Authenticator::Aaguid(
                        aaguid.clone(),
                    )),
                    ..Default::default()
                };
                Request::new(proto::CheckCredentialsRequest {
                    credentials: vec![one; n],
                    ..Default::default()
                })
            };
            let busy = occupy(&svc).await;
            let call = svc.check_credentials(batch(INLINE_CREDENTIALS));
            let small = tokio::time::timeout(PATIENCE, call).await.unwrap().unwrap().into_inner();
            assert_eq!(small.results.len(), INLINE_CREDENTIALS);
            assert!(small.results.iter().all(|r| r.trusted));
            assert_eq!(counts(&svc), (1, 0));
            let call = svc.check_credentials(batch(INLINE_CREDENTIALS + 1));
            assert!(tokio::time::timeout(WAIT, call).await.is_err(), "a large batch ran inline");
            drop(busy);
            let large = svc.check_credentials(batch(INLINE_CREDENTIALS + 1)).await.unwrap();
            assert_eq!(large.into_inner().results.len(), INLINE_CREDENTIALS + 1);
            assert_eq!(counts(&svc), (1, 1));
        }
    }
}
