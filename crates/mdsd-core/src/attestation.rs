//! WebAuthn attestation verification (WebAuthn L3 §6.5, §7.1 steps 19–23, §8): parse the
//! attestationObject, dispatch on `fmt` to one module per format, then judge trust against the
//! MDS trust store.
//!
//! Entry point: [`Verifier::verify_registration`] → [`AttestationResult`] (a value; every
//! failure is a [`Reason`]). A caller that keeps costly work off some threads uses
//! [`Verifier::begin_registration`], which answers at bounded cost or stops before the costly
//! step with a [`DeferredVerification`] that [`Verifier::finish_registration`] completes
//! elsewhere, without decoding again. Decisions, in one place:
//! - `statement_valid` covers the structure, the format's verification procedure and the
//!   ceremony checks the caller asked for ([`Expectations`]); without expectations only the
//!   attestation itself is judged (clientDataJSON is hashed, not parsed).
//! - Certificate validity at `now` is a trust question, not a statement one: an expired
//!   attestation certificate gives a valid statement that is not trusted (CERTIFICATE_EXPIRED).
//! - Basic and AttCA are indistinguishable from the statement: the metadata entry's
//!   `attestationTypes` decides; without an entry x5c statements report Basic.
//! - Provenance: every result says what its statement's signature covers ([`Coverage`]), how
//!   the metadata entry was selected ([`EntrySelector`]) and which reported facts no trusted
//!   signature covers ([`Provenance::claimed`]); see SECURITY.md, "What each signature covers".
//! - `compound`: at least two sub-statements, none compound, all must verify; trust is judged on
//!   the first sub-statement with a certificate chain (see the `compound` module).
//! - Trust: see the `trust` module: the MDS entry is selected only by what a signature covers
//!   (the signed AAGUID, else the attestation certificate's key identifier; fido-u2f by its
//!   certificate only); anchors are the entry's roots, or the operator's extra anchors when there
//!   is no entry (a chain only they vouch for is trusted by that operator decision).
//! - Credential keys mdsd cannot verify with (Ed448, ML-DSA) still parse: only signatures made
//!   with them fail, with UNSUPPORTED_ALGORITHM.
//! - Chain validation outcomes, trusted or not, are cached per (chain, anchor set), re-checked
//!   against `now`.

mod auth_data;
mod cache;
mod client_data;
mod common;
mod cose;
mod reason;
mod result;
mod trust;

mod android_key;
mod android_safetynet;
mod apple;
mod compound;
mod fido_u2f;
mod none;
mod packed;
mod tpm;

use std::sync::Arc;

use ciborium::Value;
use time::OffsetDateTime;

pub use auth_data::{AttestedCredential, AuthenticatorData, Flags, MAX_CREDENTIAL_ID_LEN};
pub use cache::{CacheStats, ChainCache};
pub use client_data::{parse_client_data, CollectedClientData, Expectations};
pub use common::{MAX_X5C, OID_FIDO_AAGUID, OID_FIDO_SERIAL_NUMBER};
pub use cose::{alg_name, digest_for_alg, scheme_for_alg, CoseKey};
pub use reason::{Reason, ReasonCode};
pub use result::{
    AttestationResult, AuthenticatorSummary, Coverage, CredentialKind, EntrySelector, Fact,
    MetadataKey, Provenance,
};
pub use trust::{EntryKey, TrustOutcome};

use crate::trust_store::{StatusPolicy, TrustStore};
use crate::x509::{Cert, PathBudget, TrustAnchor};

/// The attestation statement formats of WebAuthn L3 §8 (IANA "WebAuthn Attestation Statement
/// Format Identifiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    Packed,
    Tpm,
    AndroidKey,
    AndroidSafetynet,
    FidoU2f,
    Apple,
    None,
    Compound,
}

impl Format {
    /// The registered identifier, e.g. `"android-key"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Packed => "packed",
            Format::Tpm => "tpm",
            Format::AndroidKey => "android-key",
            Format::AndroidSafetynet => "android-safetynet",
            Format::FidoU2f => "fido-u2f",
            Format::Apple => "apple",
            Format::None => "none",
            Format::Compound => "compound",
        }
    }
    pub fn from_name(name: &str) -> Option<Format> {
        [
            Format::Packed,
            Format::Tpm,
            Format::AndroidKey,
            Format::AndroidSafetynet,
            Format::FidoU2f,
            Format::Apple,
            Format::None,
            Format::Compound,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }
}

/// WebAuthn L3 §6.5.4 attestation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttestationType {
    None,
    SelfAttestation,
    Basic,
    AttCa,
    AnonCa,
}

impl AttestationType {
    pub fn as_str(&self) -> &'static str {
        match self {
            AttestationType::None => "none",
            AttestationType::SelfAttestation => "self",
            AttestationType::Basic => "basic",
            AttestationType::AttCa => "attca",
            AttestationType::AnonCa => "anonca",
        }
    }
}

/// Options that change how statements are judged (policy knobs with safe defaults).
#[derive(Debug, Clone)]
pub struct StatementOptions {
    /// android-key: accept keys whose origin/purpose are only in softwareEnforced (not TEE).
    pub android_key_allow_software: bool,
    /// android-safetynet: maximum age of `timestampMs` relative to `now`, in milliseconds.
    pub safetynet_max_age_ms: i64,
    /// android-safetynet: allowed clock skew into the future, in milliseconds.
    pub safetynet_max_future_ms: i64,
    /// android-safetynet: require `ctsProfileMatch == true`.
    pub safetynet_require_cts: bool,
}

impl Default for StatementOptions {
    fn default() -> Self {
        StatementOptions {
            android_key_allow_software: false,
            safetynet_max_age_ms: 60_000,
            safetynet_max_future_ms: 60_000,
            safetynet_require_cts: true,
        }
    }
}

/// What every format verifier receives (WebAuthn L3 §8: "the verification procedure inputs").
#[derive(Clone, Copy)]
pub(crate) struct StatementInput<'a> {
    /// The `attStmt` map as decoded CBOR.
    pub att_stmt: &'a ciborium::Value,
    /// The parsed authenticator data.
    pub auth_data: &'a AuthenticatorData,
    /// The authenticator data bytes exactly as received (signed data).
    pub auth_data_raw: &'a [u8],
    /// SHA-256 of clientDataJSON.
    pub client_data_hash: &'a [u8; 32],
    /// Verification time (certificate validity, SafetyNet timestamp).
    pub now: OffsetDateTime,
    pub options: &'a StatementOptions,
}

/// What a format verifier returns for a valid statement (WebAuthn L3 §8: "attestation type and
/// trust path").
#[derive(Debug, Clone)]
pub(crate) struct StatementOutcome {
    pub attestation_type: AttestationType,
    /// What the statement's signature covers.
    pub coverage: Coverage,
    /// x5c parsed, leaf first (empty for self / none).
    pub trust_path: Vec<Arc<Cert>>,
}

/// The result of one format verifier: a valid statement, or the first check that failed.
pub(crate) type StatementResult = Result<StatementOutcome, Reason>;

/// Bounds on the work one attestationObject may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of attestationObject accepted (default 64 KiB).
    pub max_attestation_object: usize,
    /// Deepest CBOR nesting accepted in the attestationObject (default 16).
    pub max_cbor_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_attestation_object: 64 * 1024, max_cbor_depth: 16 }
    }
}

/// Everything that configures a [`Verifier`].
#[derive(Debug, Clone, Default)]
pub struct VerifierOptions {
    pub statement: StatementOptions,
    pub limits: Limits,
    /// Which metadata statuses make an authenticator untrusted.
    pub status_policy: StatusPolicy,
    /// Operator-configured attestation anchors (Apple WebAuthn Root CA, Google hardware
    /// attestation roots, TPM vendor roots, ...), used beside the metadata roots.
    pub extra_anchors: Vec<TrustAnchor>,
    pub path_budget: PathBudget,
}

/// One registration response to judge.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationInput<'a> {
    pub attestation_object: &'a [u8],
    pub client_data_json: &'a [u8],
    /// Ceremony checks to perform; `None`: judge only the attestation itself.
    pub expectations: Option<&'a Expectations>,
}

/// Verifies registrations; holds options and the chain cache. Share one (it is `Sync`).
#[derive(Debug, Default)]
pub struct Verifier {
    options: VerifierOptions,
    cache: ChainCache,
}

impl Verifier {
    pub fn new(options: VerifierOptions) -> Verifier {
        Verifier { options, cache: ChainCache::default() }
    }

    /// A verifier with a chain cache of `capacity` entries (0 disables caching).
    pub fn with_cache_capacity(options: VerifierOptions, capacity: usize) -> Verifier {
        Verifier { options, cache: ChainCache::new(capacity) }
    }

    pub fn options(&self) -> &VerifierOptions {
        &self.options
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Verifies one registration at `now` (WebAuthn L3 §7.1 steps 5–23 as far as they concern
    /// the attestation; the ceremony steps only as `input.expectations` asks).
    pub fn verify_registration(
        &self,
        input: &RegistrationInput<'_>,
        store: Option<&TrustStore>,
        now: OffsetDateTime,
    ) -> AttestationResult {
        match self.verify(input, store, now, trust::OnMiss::Build) {
            Ok(result) => result,
            Err(_) => deferral_unreachable(),
        }
    }

    /// [`Verifier::verify_registration`] when its cost is bounded: at most decoding the
    /// (size- and depth-limited) attestationObject, parsing its certificates and one statement
    /// signature with RSA ≤ 4096 bits (exponent ≤ 65537), P-256 or Ed25519, with the chain
    /// outcome (trusted or not) answered by the chain cache. `None` when more would be needed
    /// (a path to build, a larger RSA key, P-384 or P-521, a `compound` statement with several
    /// signatures, android-safetynet): the caller then runs [`Verifier::verify_registration`]
    /// where slow work is allowed. Same result as `verify_registration` whenever it is `Some`.
    /// [`Verifier::begin_registration`] is the same without decoding twice on the slow path.
    pub fn verify_registration_cached(
        &self,
        input: &RegistrationInput<'_>,
        store: Option<&TrustStore>,
        now: OffsetDateTime,
    ) -> Option<AttestationResult> {
        self.verify(input, store, now, trust::OnMiss::Defer).ok()
    }

    /// Starts verifying one registration at `now` and finishes it when its cost is bounded (as
    /// [`Verifier::verify_registration_cached`]); otherwise stops before the costly step
    /// (the statement signature or path building) and returns what was decoded and checked so
    /// far, for [`Verifier::finish_registration`] to complete where slow work is allowed —
    /// without decoding the attestationObject again. Either way the result is the one
    /// [`Verifier::verify_registration`] gives.
    pub fn begin_registration(
        &self,
        input: &RegistrationInput<'_>,
        store: Option<&Arc<TrustStore>>,
        now: OffsetDateTime,
    ) -> VerificationStep {
        match self.verify(input, store.map(|s| &**s), now, trust::OnMiss::Defer) {
            Ok(result) => VerificationStep::Done(result),
            Err(state) => VerificationStep::Deferred(DeferredVerification {
                state,
                store: store.cloned(),
                now,
            }),
        }
    }

    /// Completes a verification [`Verifier::begin_registration`] deferred, with the store and
    /// the `now` it began with: the costly step and everything after it.
    pub fn finish_registration(&self, deferred: DeferredVerification) -> AttestationResult {
        let DeferredVerification { state, store, now } = deferred;
        let Deferral { result, decoded, stage } = *state;
        match self.resume(result, decoded, stage, store.as_deref(), now, trust::OnMiss::Build) {
            Ok(result) => result,
            Err(_) => deferral_unreachable(),
        }
    }

    /// Decodes and checks the registration, then verifies the statement and judges trust
    /// ([`Verifier::resume`]); with [`trust::OnMiss::Defer`] stops before a costly step.
    fn verify(
        &self,
        input: &RegistrationInput<'_>,
        store: Option<&TrustStore>,
        now: OffsetDateTime,
        on_miss: trust::OnMiss,
    ) -> Result<AttestationResult, Box<Deferral>> {
        let mut result = AttestationResult::empty();
        result.metadata_no = store.map(|s| s.no());
        match self.decode(input, &mut result) {
            Ok(decoded) => self.resume(result, decoded, Stage::Statement, store, now, on_miss),
            Err(reason) => Ok(result.fail(reason)),
        }
    }

    /// WebAuthn L3 §7.1 steps 5–16 and the decoding of step 12: the attestationObject
    /// (bounded), authenticatorData, the ceremony checks asked for, the format. Fills in the
    /// facts of `result` as they are read; `Err` is the reason the registration fails here.
    fn decode(
        &self,
        input: &RegistrationInput<'_>,
        result: &mut AttestationResult,
    ) -> Result<Decoded, Reason> {
        let limits = self.options.limits;

        // WebAuthn L3 §7.1 step 12 / §6.5.4: decode the attestationObject, bounded.
        if input.attestation_object.len() > limits.max_attestation_object {
            return Err(Reason::new(
                ReasonCode::LimitExceeded,
                format!(
                    "attestationObject is {} bytes, more than {}",
                    input.attestation_object.len(),
                    limits.max_attestation_object
                ),
            ));
        }
        if input.client_data_json.len() > client_data::MAX_CLIENT_DATA_LEN {
            return Err(Reason::new(
                ReasonCode::LimitExceeded,
                format!(
                    "clientDataJSON is {} bytes, more than {}",
                    input.client_data_json.len(),
                    client_data::MAX_CLIENT_DATA_LEN
                ),
            ));
        }
        let object = parse_attestation_object(input.attestation_object, limits.max_cbor_depth)?;
        result.fmt = Some(object.fmt.clone());
        result.format = Format::from_name(&object.fmt);

        let auth_data = AuthenticatorData::parse(&object.auth_data)?;
        result.flags = Some(auth_data.flags);
        result.sign_count = Some(auth_data.sign_count);
        result.credential_kind = Some(if auth_data.flags.backup_eligible() {
            CredentialKind::Synced
        } else {
            CredentialKind::DeviceBound
        });
        let credential = attested_credential(&auth_data)?;
        result.aaguid = Some(credential.aaguid);
        result.credential_id = Some(credential.credential_id.clone());
        result.credential_public_key = Some(credential.public_key.raw.clone());
        result.credential_alg = Some(credential.public_key.alg);

        // Ceremony checks the caller asked for (§7.1 steps 5–16).
        let mut ceremony_ok = true;
        if let Some(expect) = input.expectations {
            let failures = client_data::check(input.client_data_json, &auth_data, expect);
            ceremony_ok = failures.is_empty();
            result.reasons.extend(failures);
        }

        // §7.1 step 12 (hash) and step 19–21: dispatch on fmt.
        let client_data_hash = crate::crypto::sha256(input.client_data_json);
        let Some(format) = result.format else {
            return Err(Reason::new(
                ReasonCode::UnsupportedFormat,
                format!("attestation format {:?} is not supported", object.fmt),
            ));
        };
        Ok(Decoded {
            format,
            att_stmt: object.att_stmt,
            auth_data_raw: object.auth_data,
            auth_data,
            client_data_hash,
            ceremony_ok,
        })
    }

    /// WebAuthn L3 §7.1 steps 19–23 from `stage` on: the statement (unless it verified before a
    /// deferral), then trust. With [`trust::OnMiss::Defer`] stops before a costly statement
    /// signature or a path to build, handing back everything found so far.
    fn resume(
        &self,
        mut result: AttestationResult,
        decoded: Decoded,
        stage: Stage,
        store: Option<&TrustStore>,
        now: OffsetDateTime,
        on_miss: trust::OnMiss,
    ) -> Result<AttestationResult, Box<Deferral>> {
        let credential = match attested_credential(&decoded.auth_data) {
            Ok(c) => c,
            Err(r) => return Ok(result.fail(r)),
        };
        let outcome = match stage {
            Stage::Trust(outcome) => outcome,
            Stage::Statement => {
                // Not the bounded case: compound (up to MAX_SUB_STATEMENTS signatures),
                // android-safetynet (its key is inside the JWS), or a costly statement key
                // (large RSA, P-384, P-521).
                if on_miss == trust::OnMiss::Defer
                    && (matches!(decoded.format, Format::Compound | Format::AndroidSafetynet)
                        || trust::costly_statement_key(
                            &decoded.att_stmt,
                            &credential.public_key.key,
                        ))
                {
                    return Err(Box::new(Deferral { result, decoded, stage: Stage::Statement }));
                }
                let statement_input = StatementInput {
                    att_stmt: &decoded.att_stmt,
                    auth_data: &decoded.auth_data,
                    auth_data_raw: &decoded.auth_data_raw,
                    client_data_hash: &decoded.client_data_hash,
                    now,
                    options: &self.options.statement,
                };
                let outcome = match verify_statement(decoded.format, &statement_input) {
                    Ok(o) => o,
                    Err(r) => return Ok(result.fail(r)),
                };
                result.attestation_type = Some(outcome.attestation_type);
                result.provenance.coverage = Some(outcome.coverage);
                result.trust_path = outcome.trust_path.iter().map(|c| c.sha256_hex()).collect();
                result.statement_valid = decoded.ceremony_ok;
                outcome
            }
        };

        // §7.1 steps 22–23: trust.
        let ctx = self.trust_context(store, now, on_miss);
        let registration = trust::Registration {
            aaguid: &credential.aaguid,
            flags: decoded.auth_data.flags,
            credential_alg: credential.public_key.alg,
        };
        let judged = match trust::evaluate(&outcome, &registration, &ctx) {
            Ok(judged) => judged,
            Err(trust::Deferred) => {
                return Err(Box::new(Deferral { result, decoded, stage: Stage::Trust(outcome) }))
            }
        };
        if let Some(path) = &judged.path {
            result.trust_path = path.chain.iter().map(|c| c.sha256_hex()).collect();
            // Enterprise attestation: the serial number of the validated leaf (x5c[0]).
            match path.chain.first().map(|leaf| common::certificate_serial_number(leaf)) {
                Some(Ok(serial)) => result.serial_number = serial,
                Some(Err(note)) => result.notes.push(note),
                None => {}
            }
            result.anchor =
                Some((path.anchor.sha256_hex(), judged.anchor_label.clone().unwrap_or_default()));
        }
        if let Some(resolved) = judged.attestation_type {
            result.attestation_type = Some(resolved);
        }
        // The entry as selected: by a covered key (verified once the chain validates), or for
        // display only by a claimed AAGUID.
        if let Some(entry) = &judged.entry {
            let summary = AuthenticatorSummary::of(
                entry,
                judged.verdict.as_ref(),
                now,
                judged.entry_verified,
            );
            if decoded.auth_data.flags.backup_eligible()
                && summary.multi_device_credential_support.as_deref() == Some("unsupported")
            {
                result.kind_conflict = Some(
                    "BE=1 (synced credential) but metadata says multiDeviceCredentialSupport is unsupported"
                        .into(),
                );
            }
            result.authenticator = Some(summary);
        }
        result.trusted = result.statement_valid && judged.trusted;
        result.entry = judged.entry.clone();
        result.provenance.entry_selected_by = judged.selector.clone();
        result.provenance.claimed =
            result::claimed_facts(result.trusted, outcome.coverage, &judged);
        result.reasons.extend(judged.reasons);
        result.notes.extend(judged.notes);
        Ok(result)
    }
}

/// What [`Verifier::begin_registration`] tells its caller.
// `Done` is the common case, moved once to the caller: boxing it would cost an allocation per
// request to shrink the rare `Deferred` one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum VerificationStep {
    /// Verified at bounded cost.
    Done(AttestationResult),
    /// A costly step remains: run [`Verifier::finish_registration`] where slow work is allowed.
    Deferred(DeferredVerification),
}

/// A registration verification stopped before its costly step, owning what it decoded and
/// checked so far, the trust store and `now` it began with (so it can move to another thread).
#[derive(Debug)]
pub struct DeferredVerification {
    state: Box<Deferral>,
    store: Option<Arc<TrustStore>>,
    now: OffsetDateTime,
}

/// Where a deferred verification stopped, with the result so far.
#[derive(Debug)]
struct Deferral {
    result: AttestationResult,
    decoded: Decoded,
    stage: Stage,
}

/// The costly step a deferred verification resumes at.
#[derive(Debug)]
enum Stage {
    /// The statement's own verification procedure (its signatures).
    Statement,
    /// The trust step (path building), after the statement verified.
    Trust(StatementOutcome),
}

/// A registration decoded and checked up to its statement (WebAuthn L3 §7.1 steps 5–16, 19).
#[derive(Debug)]
struct Decoded {
    format: Format,
    att_stmt: Value,
    /// authenticatorData exactly as received (the signed bytes).
    auth_data_raw: Vec<u8>,
    auth_data: AuthenticatorData,
    client_data_hash: [u8; 32],
    /// Every ceremony check asked for passed.
    ceremony_ok: bool,
}

/// The attested credential data a registration must carry (AT set).
fn attested_credential(auth_data: &AuthenticatorData) -> Result<&AttestedCredential, Reason> {
    auth_data.attested_credential.as_ref().ok_or_else(|| {
        Reason::new(
            ReasonCode::MalformedAuthenticatorData,
            "registration authenticatorData has no attested credential data (AT not set)",
        )
    })
}

/// Not reachable: `OnMiss::Build` never defers. Judged as the trust step failing.
fn deferral_unreachable() -> AttestationResult {
    AttestationResult::empty().fail(Reason::new(
        ReasonCode::UntrustedChain,
        "attestation chain: not validated (internal: path building was deferred)",
    ))
}

/// The decoded attestationObject (WebAuthn L3 §6.5.4).
struct AttestationObject {
    fmt: String,
    att_stmt: Value,
    auth_data: Vec<u8>,
}

/// Decodes the attestationObject: exactly one CBOR map with text `fmt`, `attStmt` and byte-string
/// `authData`, no duplicate keys, nothing after it.
fn parse_attestation_object(bytes: &[u8], max_depth: usize) -> Result<AttestationObject, Reason> {
    let malformed = |m: String| Reason::new(ReasonCode::MalformedAttestationObject, m);
    let (value, consumed) = cose::decode_prefix(bytes, max_depth).map_err(|e| {
        // The depth limit is the operator's bound (`Limits::max_cbor_depth`), not a defect of
        // the input.
        let code = match e {
            cose::CborError::NestingLimitExceeded { .. } => ReasonCode::LimitExceeded,
            _ => ReasonCode::MalformedAttestationObject,
        };
        Reason::new(code, format!("attestationObject: {e}"))
    })?;
    if consumed != bytes.len() {
        return Err(malformed(format!(
            "{} trailing bytes after the attestationObject",
            bytes.len().saturating_sub(consumed)
        )));
    }
    cose::check_no_duplicate_keys(&value)
        .map_err(|e| malformed(format!("attestationObject: {e}")))?;
    let map = match value {
        Value::Map(map) => map,
        other => {
            return Err(malformed(format!("attestationObject is {} not a map", cose::kind(&other))))
        }
    };
    let mut fmt = None;
    let mut att_stmt = None;
    let mut auth_data = None;
    for (k, v) in map {
        match (k, v) {
            (Value::Text(k), Value::Text(v)) if k == "fmt" => fmt = Some(v),
            (Value::Text(k), v) if k == "attStmt" => att_stmt = Some(v),
            (Value::Text(k), Value::Bytes(v)) if k == "authData" => auth_data = Some(v),
            (Value::Text(k), v) if k == "fmt" || k == "authData" => {
                return Err(malformed(format!("attestationObject.{k} is {}", cose::kind(&v))))
            }
            _ => {}
        }
    }
    match (fmt, att_stmt, auth_data) {
        (Some(fmt), Some(att_stmt), Some(auth_data)) => {
            Ok(AttestationObject { fmt, att_stmt, auth_data })
        }
        (f, s, a) => Err(malformed(format!(
            "attestationObject lacks{}{}{}",
            if f.is_none() { " fmt" } else { "" },
            if s.is_none() { " attStmt" } else { "" },
            if a.is_none() { " authData" } else { "" },
        ))),
    }
}

/// Verifies one statement by its format (the one `match` on [`Format`]).
pub(crate) fn verify_statement(format: Format, input: &StatementInput<'_>) -> StatementResult {
    match format {
        Format::Packed => packed::verify(input),
        Format::Tpm => tpm::verify(input),
        Format::AndroidKey => android_key::verify(input),
        Format::AndroidSafetynet => android_safetynet::verify(input),
        Format::FidoU2f => fido_u2f::verify(input),
        Format::Apple => apple::verify(input),
        Format::None => none::verify(input),
        Format::Compound => compound::verify(input),
    }
}
