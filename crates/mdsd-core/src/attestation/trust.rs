//! The trust decision after a valid statement (WebAuthn L3 §7.1 steps 22–23, MDS3 §3.2 step 8):
//! find the metadata entry, build the attestation chain to one of its roots (or an operator's
//! extra anchor) at `now`, and apply the entry's status reports.
//!
//! Decisions:
//! - `none` and self attestation are valid but untrusted (NO_ATTESTATION_TRUST).
//! - The entry is selected only by what a signature or the attestation certificate covers
//!   ([`select_entry`]): the AAGUID when the statement signs all of authenticatorData and the
//!   AAGUID is not nil; else the FIDO key identifier of the attestation certificate (the leaf of
//!   x5c, never another certificate of it); for fido-u2f, whose signature does not cover the
//!   AAGUID, that key identifier or the certificate's AAGUID extension, never the AAGUID of
//!   authenticatorData.
//! - fido-u2f: a non-zero AAGUID, or the UV, BE, BS or ED flag, can only have been written by
//!   the client (a U2F device produces none of them and the U2F signature covers none):
//!   UNSIGNED_FIELD refuses trust, so that a trusted answer never carries a spoofable fact an RP
//!   would store and re-use (the AAGUID for key restrictions at sign-in, BE for the passkey
//!   type).
//! - The statement is cross-checked against its entry: the attestation type against
//!   `attestationTypes` (Basic or AttCA resolved from it), the credential algorithm against
//!   `authenticationAlgorithms`.
//! - With an entry, the chain must lead to one of that entry's attestationRootCertificates and
//!   to nothing else: the AAGUID in authenticatorData is claimed by the authenticator, and only
//!   the entry's own roots bind the claim to the model. (An operator anchor such as a Google or
//!   Apple root vouches for a platform, not for an AAGUID: a genuine Android key could otherwise
//!   sign authenticatorData claiming a YubiKey's AAGUID and be reported as that YubiKey.)
//! - Without an entry, a chain that validates to an operator-configured extra anchor (Apple,
//!   Google, TPM vendor roots) is trusted by that operator decision, with no status to apply and
//!   no authenticator identified; otherwise METADATA_NOT_FOUND.
//! - The same rules judge a caller-supplied chain ([`Verifier::validate_chain`], the
//!   ValidateAttestationChain RPC): one implementation for both.
//! - Path outcomes, trusted or not, are cached (see the `cache` module); with [`OnMiss::Defer`]
//!   a cache miss stops before building the path, so that the daemon can verify the common,
//!   cached case inline and send only the costly builds to its bounded blocking pool.

mod entry_checks;

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::crypto::{Curve, PublicKey, Sha256};
use crate::trust_store::{Entry, StatusPolicy, StatusVerdict, TrustStore};
use crate::x509::{
    build_path, Cert, PathBudget, PathError, PathProfile, TrustAnchor, VerifiedPath,
};

use super::cache::{ChainCache, ChainKey};
use super::common;
use super::reason::{Reason, ReasonCode};
use super::{
    AttestationType, AuthenticatorSummary, Coverage, EntrySelector, Flags, MetadataKey,
    StatementOutcome, Verifier,
};
use entry_checks::{check_algorithm, resolve_attestation_type};

/// What the trust step found for a chain: the verdict, the entry it was judged for, the
/// validated path and its anchor, the entry's status verdict, and every reason trust was not
/// granted.
#[derive(Debug, Clone)]
pub struct TrustOutcome {
    /// The chain validates to an anchor of the right kind at `now`, and the entry's status (when
    /// there is an entry) is acceptable: `reasons` is empty.
    pub trusted: bool,
    /// The metadata entry the chain was judged for (found by the key, not verified by it).
    pub entry: Option<Arc<Entry>>,
    /// The entry's status reports judged against the validated chain.
    pub verdict: Option<StatusVerdict>,
    /// The validated path (leaf first, anchor apart).
    pub path: Option<VerifiedPath>,
    /// The label of the anchor that ended the path.
    pub anchor_label: Option<String>,
    pub reasons: Vec<Reason>,
    /// Remarks that do not decide (ALGORITHM_NOT_IN_METADATA).
    pub notes: Vec<Reason>,
    /// How `entry` was selected (registrations; `None` for a caller-named entry).
    pub selector: Option<EntrySelector>,
    /// The validated chain identifies `entry`: it was selected by what a signature or the
    /// attestation certificate covers (registrations), or the chain's leaf names the entry or
    /// its root belongs to that entry alone (caller-named entries).
    pub entry_verified: bool,
    /// The attestation type as the entry resolves it (Basic or AttCA for an x5c statement).
    pub attestation_type: Option<AttestationType>,
    /// What the metadata says about `entry` at `now` ([`Verifier::validate_chain`]; a
    /// registration reports it in `AttestationResult::authenticator`).
    pub authenticator: Option<AuthenticatorSummary>,
}

/// How a metadata entry is named: the one key type of entry lookups (GetAuthenticator), of
/// chains judged for a caller-named entry ([`Verifier::validate_chain`]) and of stored
/// credentials ([`crate::credentials::StoredCredential`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntryKey {
    Aaguid(Uuid),
    /// Lowercase hex of the attestation certificate's subject key identifier (U2F).
    KeyIdentifier(String),
    /// FIDO UAF authenticator attestation ID.
    Aaid(String),
}

impl EntryKey {
    /// The entry `store` holds for this key.
    pub fn lookup<'s>(&self, store: &'s TrustStore) -> Option<&'s Arc<Entry>> {
        match self {
            EntryKey::Aaguid(u) => store.by_aaguid(u),
            EntryKey::KeyIdentifier(k) => store.by_key_identifier(k),
            EntryKey::Aaid(a) => store.by_aaid(a),
        }
    }
}

impl From<MetadataKey> for EntryKey {
    fn from(key: MetadataKey) -> EntryKey {
        match key {
            MetadataKey::Aaguid(u) => EntryKey::Aaguid(u),
            MetadataKey::KeyIdentifier(k) => EntryKey::KeyIdentifier(k),
        }
    }
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryKey::Aaguid(u) => write!(f, "AAGUID {u}"),
            EntryKey::KeyIdentifier(k) => write!(f, "key identifier {k}"),
            EntryKey::Aaid(a) => write!(f, "AAID {a}"),
        }
    }
}

impl Verifier {
    /// The trust step of attestation verification (WebAuthn L3 §7.1 step 22, MDS3 §3.2 step 8)
    /// on a caller-supplied chain (x5c order: leaf first, then an unordered bag), judged for the
    /// entry `key` names in `store` at `now`, with the same rules, anchors and chain cache as
    /// [`Verifier::verify_registration`]: a listed entry's chain must end at that entry's own
    /// attestation roots; the operator's extra anchors count only when there is no entry.
    pub fn validate_chain(
        &self,
        key: &EntryKey,
        chain: &[Arc<Cert>],
        store: &TrustStore,
        now: OffsetDateTime,
    ) -> TrustOutcome {
        match self.validate_chain_with(key, chain, store, now, OnMiss::Build) {
            Ok(outcome) => outcome,
            // Not reachable: `OnMiss::Build` never defers. Judged as the chain step failing.
            Err(Deferred) => untrusted(Reason::new(
                ReasonCode::UntrustedChain,
                "attestation chain: not validated (internal: path building was deferred)",
            )),
        }
    }

    /// [`Verifier::validate_chain`] when the chain cache holds the outcome for this chain and
    /// anchor set at `now`; `None` when a path would have to be built (the costly part, up to
    /// `PathBudget::max_signature_checks` signatures): the caller can then run
    /// [`Verifier::validate_chain`] where slow work is allowed.
    pub fn validate_chain_cached(
        &self,
        key: &EntryKey,
        chain: &[Arc<Cert>],
        store: &TrustStore,
        now: OffsetDateTime,
    ) -> Option<TrustOutcome> {
        self.validate_chain_with(key, chain, store, now, OnMiss::Defer).ok()
    }

    fn validate_chain_with(
        &self,
        key: &EntryKey,
        chain: &[Arc<Cert>],
        store: &TrustStore,
        now: OffsetDateTime,
        on_miss: OnMiss,
    ) -> Result<TrustOutcome, Deferred> {
        let ctx = self.trust_context(Some(store), now, on_miss);
        let mut outcome = judge(key.lookup(store).cloned(), chain, &ctx, &|| key.to_string())?;
        if let (Some(entry), Some(path), Some(leaf)) =
            (&outcome.entry, &outcome.path, chain.first())
        {
            match bind_named_entry(key, entry, leaf, path, store) {
                Ok(bound) => outcome.entry_verified = bound,
                Err(reason) => outcome.reasons.push(reason),
            }
        }
        outcome.trusted = outcome.reasons.is_empty();
        outcome.authenticator = outcome.entry.as_ref().map(|e| {
            AuthenticatorSummary::of(e, outcome.verdict.as_ref(), now, outcome.entry_verified)
        });
        Ok(outcome)
    }

    /// The trust step's inputs from this verifier's options and cache.
    pub(crate) fn trust_context<'a>(
        &'a self,
        store: Option<&'a TrustStore>,
        now: OffsetDateTime,
        on_miss: OnMiss,
    ) -> TrustContext<'a> {
        TrustContext {
            store,
            extra_anchors: &self.options.extra_anchors,
            policy: &self.options.status_policy,
            budget: self.options.path_budget,
            cache: &self.cache,
            now,
            on_miss,
        }
    }
}

/// What to do when the chain cache has no outcome for a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnMiss {
    /// Build and validate the path (bounded by the path budget).
    Build,
    /// Stop and report [`Deferred`].
    Defer,
}

/// A path would have to be built and the caller asked for [`OnMiss::Defer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deferred;

/// RSA moduli longer than this many bits are not verified inline (ring accepts up to 8192:
/// ≈ 16 times the work of 4096 with the same exponent).
const INLINE_RSA_MAX_BITS: usize = 4096;
/// RSA public exponents above this are not verified inline (ring accepts up to 2^33 − 1).
const INLINE_RSA_MAX_EXPONENT: u32 = 65_537;

/// True when the statement signature would be checked with a key whose verification is
/// costly: RSA with a modulus over [`INLINE_RSA_MAX_BITS`] or an exponent over
/// [`INLINE_RSA_MAX_EXPONENT`], P-384 (ring, ≈ 0.75 ms against ≈ 55 µs for P-256 in
/// `cargo bench --bench attestation`, `inline_bound`) or P-521 (pure Rust, ≈ 1.4 ms). The key
/// is the one of `attStmt.x5c[0]` (parsed through the certificate cache) when present, else the
/// credential key (self attestation). Anything malformed counts as cheap: the format's own checks
/// refuse it before any signature.
pub(crate) fn costly_statement_key(att_stmt: &ciborium::Value, credential_key: &PublicKey) -> bool {
    let leaf = att_stmt
        .as_map()
        .and_then(|m| super::common::field(m, "x5c"))
        .and_then(|v| v.as_array())
        .and_then(|items| items.first())
        .and_then(|first| first.as_bytes());
    match leaf {
        Some(der) => match super::cache::CERTS.parse(der) {
            Ok(cert) => costly_key(cert.public_key()),
            Err(_) => false,
        },
        None => costly_key(credential_key),
    }
}

fn costly_key(key: &PublicKey) -> bool {
    match key {
        PublicKey::Rsa { n, e } => {
            let e = crate::crypto::strip_leading_zeros(e);
            let e_too_big = e.len() > 4
                || e.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                    > INLINE_RSA_MAX_EXPONENT;
            crate::crypto::bit_len(n) > INLINE_RSA_MAX_BITS || e_too_big
        }
        PublicKey::Ec { curve, .. } => matches!(curve, Curve::P384 | Curve::P521),
        PublicKey::Ed25519(_) | PublicKey::Unsupported { .. } => false,
    }
}

/// Inputs that do not change per attestation.
pub(crate) struct TrustContext<'a> {
    pub store: Option<&'a TrustStore>,
    pub extra_anchors: &'a [TrustAnchor],
    pub policy: &'a StatusPolicy,
    pub budget: PathBudget,
    pub cache: &'a ChainCache,
    pub now: OffsetDateTime,
    pub on_miss: OnMiss,
}

/// Selects the metadata entry by what the statement's signature or its attestation certificate
/// covers (see the module docs); `leaf` is x5c[0], the attestation certificate.
pub(crate) fn select_entry(
    store: Option<&TrustStore>,
    coverage: Coverage,
    aaguid: &Uuid,
    leaf: Option<&Arc<Cert>>,
) -> (Option<Arc<Entry>>, Option<EntrySelector>) {
    let Some(store) = store else { return (None, None) };
    let by_key_identifier = |leaf: &Arc<Cert>| {
        let key_id = leaf.fido_key_identifier();
        store.by_key_identifier(&key_id).map(|e| (e.clone(), EntrySelector::KeyIdentifier(key_id)))
    };
    let found = match coverage {
        // The AAGUID is signed with the rest of authenticatorData.
        Coverage::AuthenticatorData if !aaguid.is_nil() => {
            store.by_aaguid(aaguid).map(|e| (e.clone(), EntrySelector::Aaguid(*aaguid)))
        }
        Coverage::AuthenticatorData => leaf.and_then(by_key_identifier),
        // The AAGUID is not signed: the certificate alone selects (key identifier, then its
        // AAGUID extension).
        Coverage::U2fRegistration => leaf.and_then(|leaf| {
            by_key_identifier(leaf).or_else(|| {
                let in_cert = common::certificate_aaguid(leaf).ok().flatten()?;
                store
                    .by_aaguid(&in_cert)
                    .map(|e| (e.clone(), EntrySelector::CertificateAaguid(in_cert)))
            })
        }),
        // Nothing vouches for the signer: the claimed AAGUID names an entry for display only.
        Coverage::CredentialKey | Coverage::Nothing if !aaguid.is_nil() => {
            store.by_aaguid(aaguid).map(|e| (e.clone(), EntrySelector::ClaimedAaguid(*aaguid)))
        }
        Coverage::CredentialKey | Coverage::Nothing => None,
    };
    match found {
        Some((entry, selector)) => (Some(entry), Some(selector)),
        None => (None, None),
    }
}

/// What the trust step needs of the registration besides the statement outcome.
pub(crate) struct Registration<'a> {
    pub aaguid: &'a Uuid,
    pub flags: Flags,
    /// COSE algorithm of the credential key.
    pub credential_alg: i64,
}

/// Judges trust for a valid statement.
pub(crate) fn evaluate(
    outcome: &StatementOutcome,
    registration: &Registration<'_>,
    ctx: &TrustContext<'_>,
) -> Result<TrustOutcome, Deferred> {
    let leaf = outcome.trust_path.first();
    let (entry, selector) = select_entry(ctx.store, outcome.coverage, registration.aaguid, leaf);
    // WebAuthn L3 §7.1 step 23: self / none carry no trust of their own.
    if matches!(outcome.attestation_type, AttestationType::None | AttestationType::SelfAttestation)
        || outcome.trust_path.is_empty()
    {
        let mut result = untrusted(Reason::new(
            ReasonCode::NoAttestationTrust,
            format!(
                "{} attestation carries no trust path; the authenticator is unverified",
                outcome.attestation_type.as_str()
            ),
        ));
        result.entry = entry;
        result.selector = selector;
        return Ok(result);
    }
    let sought = || match (outcome.coverage, leaf) {
        (Coverage::U2fRegistration, Some(leaf)) => format!(
            "the attestation certificate's key identifier {}{}",
            leaf.fido_key_identifier(),
            match common::certificate_aaguid(leaf).ok().flatten() {
                Some(in_cert) => format!(" or its AAGUID extension {in_cert}"),
                None => String::new(),
            }
        ),
        _ if !registration.aaguid.is_nil() => format!("AAGUID {}", registration.aaguid),
        (_, Some(leaf)) => format!(
            "the nil AAGUID's attestation certificate key identifier {}",
            leaf.fido_key_identifier()
        ),
        (_, None) => "the nil AAGUID".to_string(),
    };
    let mut result = judge(entry, &outcome.trust_path, ctx, &sought)?;
    result.entry_verified = result.path.is_some() && result.entry.is_some();
    result.selector = selector;
    if outcome.coverage == Coverage::U2fRegistration {
        u2f_unsigned_fields(registration, &mut result.reasons);
        if let (Some(entry), Some(leaf)) = (&result.entry, leaf) {
            u2f_certificate_aaguid(entry, leaf, result.path.as_ref(), ctx, &mut result.reasons);
        }
    }
    if let (Some(entry), Some(_)) = (&result.entry, &result.path) {
        result.attestation_type =
            Some(resolve_attestation_type(outcome.attestation_type, entry, &mut result.reasons));
        check_algorithm(registration.credential_alg, entry, &mut result.notes);
    }
    result.trusted = result.reasons.is_empty();
    Ok(result)
}

/// fido-u2f: the fields of authenticatorData the U2F signature does not cover must hold what a
/// client builds from a U2F registration (CTAP 2.1 §10.2: AAGUID zero; a U2F device performs
/// no user verification, makes no backup-eligible credential and returns no extensions).
/// signCount and UP are left as claims: conformant clients write various counters, and a U2F
/// registration always tests user presence.
fn u2f_unsigned_fields(registration: &Registration<'_>, reasons: &mut Vec<Reason>) {
    if !registration.aaguid.is_nil() {
        reasons.push(Reason::new(
            ReasonCode::UnsignedField,
            format!(
                "fido-u2f: authenticatorData AAGUID is {}, not zero; the U2F signature does not \
                 cover it, so the client wrote it (the model is selected by the attestation \
                 certificate, never by this AAGUID)",
                registration.aaguid
            ),
        ));
    }
    let flags = registration.flags;
    let set: Vec<&str> = [
        (flags.user_verified(), "UV"),
        (flags.backup_eligible(), "BE"),
        (flags.backed_up(), "BS"),
        (flags.extension_data(), "ED"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !set.is_empty() {
        reasons.push(Reason::new(
            ReasonCode::UnsignedField,
            format!(
                "fido-u2f: flag{} {} set; a U2F device cannot produce {} and the U2F signature \
                 does not cover the flags, so the client wrote {}",
                if set.len() > 1 { "s" } else { "" },
                set.join(", "),
                if set.len() > 1 { "them" } else { "it" },
                if set.len() > 1 { "them" } else { "it" },
            ),
        ));
    }
}

/// fido-u2f: where the attestation certificate carries the AAGUID extension, it must agree with
/// the entry its key identifier selected: equal to the entry's AAGUID when the entry has one.
/// When the entry has none (a U2F entry; real BLOBs list the same device again as a FIDO2 entry
/// under the certificate's AAGUID), that FIDO2 entry's status reports are applied too, so a
/// model refused under one of its entries is not trusted through the other.
fn u2f_certificate_aaguid(
    entry: &Arc<Entry>,
    leaf: &Arc<Cert>,
    path: Option<&VerifiedPath>,
    ctx: &TrustContext<'_>,
    reasons: &mut Vec<Reason>,
) {
    let in_cert = match common::certificate_aaguid(leaf) {
        Ok(Some(in_cert)) => in_cert,
        Ok(None) => return,
        Err(reason) => return reasons.push(reason),
    };
    match entry.aaguid() {
        Some(listed) if listed != in_cert => reasons.push(Reason::new(
            ReasonCode::EntryMismatch,
            format!(
                "the attestation certificate's AAGUID extension is {in_cert}, but its key \
                 identifier selects {} whose AAGUID is {listed}",
                entry.description().unwrap_or("an entry without description")
            ),
        )),
        Some(_) => {}
        None => {
            let sibling = ctx.store.and_then(|s| s.by_aaguid(&in_cert));
            let Some(sibling) = sibling.filter(|e| !Arc::ptr_eq(e, entry)) else { return };
            let mut chain: Vec<Arc<Cert>> = path.map(|p| p.chain.clone()).unwrap_or_default();
            if let Some(p) = path {
                chain.push(p.anchor.clone());
            }
            let verdict = sibling.evaluate(&chain, ctx.policy, ctx.now);
            if !verdict.trusted {
                reasons.push(Reason::new(
                    ReasonCode::StatusRefused,
                    format!(
                        "the attestation certificate's AAGUID extension {in_cert} names {}: {}",
                        sibling.description().unwrap_or("another entry"),
                        verdict.reason.unwrap_or_else(|| "status refused by policy".into())
                    ),
                ));
            }
        }
    }
}

/// Binds a caller-named entry (ValidateAttestationChain) to a validated chain. Refuses when the
/// leaf belongs to another entry: a named key identifier that is not the leaf's, an AAGUID
/// extension naming another AAGUID, or a leaf whose key identifier is listed for another entry.
/// `Ok(true)` when the chain identifies the entry (the leaf's key identifier or AAGUID extension
/// names it, or the anchoring root is listed by this entry alone); `Ok(false)` is refused by the
/// caller too when the root is shared and the leaf names nothing (WebAuthn L3 §8.2.1: a root
/// used for several models requires the AAGUID extension).
fn bind_named_entry(
    key: &EntryKey,
    entry: &Arc<Entry>,
    leaf: &Arc<Cert>,
    path: &VerifiedPath,
    store: &TrustStore,
) -> Result<bool, Reason> {
    let mismatch = |why: String| Err(Reason::new(ReasonCode::EntryMismatch, why));
    let leaf_key_id = leaf.fido_key_identifier();
    if let EntryKey::KeyIdentifier(named) = key {
        if !named.eq_ignore_ascii_case(&leaf_key_id) {
            return mismatch(format!(
                "key identifier {named} is not the attestation certificate's ({leaf_key_id}): \
                 only the leaf of x5c selects an entry by key identifier"
            ));
        }
        return Ok(true);
    }
    // The certificate's own AAGUID extension binds it to one model (WebAuthn L3 §8.2.1).
    match (key, common::certificate_aaguid(leaf)?) {
        (EntryKey::Aaguid(named), Some(in_cert)) if in_cert != *named => {
            return mismatch(format!(
                "the attestation certificate's AAGUID extension is {in_cert}, not {named}"
            ))
        }
        (EntryKey::Aaguid(_), Some(_)) => return Ok(true),
        _ => {}
    }
    if let Some(other) = store.by_key_identifier(&leaf_key_id).filter(|e| !Arc::ptr_eq(e, entry)) {
        return mismatch(format!(
            "the attestation certificate's key identifier {leaf_key_id} is listed for {}, not \
             for {key}",
            other.description().unwrap_or("another entry")
        ));
    }
    let shared_with = store
        .entries()
        .iter()
        .filter(|e| !Arc::ptr_eq(e, entry))
        .find(|e| e.attestation_roots().iter().any(|r| r.der() == path.anchor.der()));
    match shared_with {
        Some(other) => mismatch(format!(
            "the chain ends at a root that {} also lists and its attestation certificate names \
             no model (no AAGUID extension): it does not show that it belongs to {key}",
            other.description().unwrap_or("another entry")
        )),
        None => Ok(true),
    }
}

/// An untrusted outcome with one reason and nothing else found.
fn untrusted(reason: Reason) -> TrustOutcome {
    TrustOutcome {
        trusted: false,
        entry: None,
        verdict: None,
        path: None,
        anchor_label: None,
        reasons: vec![reason],
        notes: Vec::new(),
        selector: None,
        entry_verified: false,
        attestation_type: None,
        authenticator: None,
    }
}

/// The chain (leaf first) judged for `entry` (None: no entry was found for `sought`, which
/// names how it was looked for): the anchors, the path at `ctx.now` (cached), the status.
fn judge(
    entry: Option<Arc<Entry>>,
    chain: &[Arc<Cert>],
    ctx: &TrustContext<'_>,
    sought: &dyn Fn() -> String,
) -> Result<TrustOutcome, Deferred> {
    let mut result = TrustOutcome {
        trusted: false,
        entry: entry.clone(),
        verdict: None,
        path: None,
        anchor_label: None,
        reasons: Vec::new(),
        notes: Vec::new(),
        selector: None,
        entry_verified: false,
        attestation_type: None,
        authenticator: None,
    };
    let Some((leaf, rest)) = chain.split_first() else {
        result.reasons.push(Reason::new(
            ReasonCode::UntrustedChain,
            "attestation chain: no certificate to validate",
        ));
        return Ok(result);
    };
    let not_found = || match ctx.store {
        Some(store) => format!("no metadata entry in BLOB no {} for {}", store.no(), sought()),
        None => format!("no trust store; no metadata entry for {}", sought()),
    };

    // The leaf must be valid at `now` whatever else is found.
    if ctx.now < leaf.not_before() || ctx.now > leaf.not_after() {
        result.reasons.push(Reason::new(
            ReasonCode::CertificateExpired,
            format!(
                "attestation certificate {} is valid {} .. {}, not at {}",
                leaf.subject(),
                leaf.not_before(),
                leaf.not_after(),
                ctx.now
            ),
        ));
    }

    // Anchors: the entry's roots when there is an entry (and only those: they are what binds
    // the claimed AAGUID to the model); the operator's extra anchors otherwise.
    let mut anchors: Vec<TrustAnchor> = Vec::new();
    if let Some(entry) = &entry {
        // An operator's statement is never called MDS metadata, not even in a label.
        let source = match entry.origin() {
            crate::trust_store::Origin::Operator { .. } => "operator statement",
            _ => "MDS",
        };
        let label = format!(
            "{source} attestation root of {}",
            entry.description().unwrap_or("(no description)")
        );
        anchors.extend(
            entry
                .attestation_roots()
                .iter()
                .map(|c| TrustAnchor { cert: c.clone(), label: label.clone() }),
        );
    } else {
        anchors.extend(ctx.extra_anchors.iter().cloned());
    }
    if anchors.is_empty() {
        let why = match ctx.store {
            None => "no trust store and no extra anchors are configured".to_string(),
            Some(store) if entry.is_some() => format!(
                "the metadata entry in BLOB no {} for this authenticator lists no usable \
                 attestation root",
                store.no()
            ),
            Some(_) => not_found(),
        };
        result.reasons.push(Reason::new(ReasonCode::MetadataNotFound, why));
        return Ok(result);
    }

    // Build and validate the chain (cached, trusted or not).
    match build_cached(leaf, rest, &anchors, ctx)? {
        Ok(path) => {
            result.anchor_label = anchors.get(path.anchor_index).map(|a| a.label.clone());
            result.path = Some(path);
        }
        Err(e) => {
            let code = match e {
                PathError::Expired { .. } | PathError::NotYetValid { .. } => {
                    ReasonCode::CertificateExpired
                }
                _ => ReasonCode::UntrustedChain,
            };
            if !result.reasons.iter().any(|r| r.code == code) {
                result.reasons.push(Reason::new(code, format!("attestation chain: {e}")));
            }
            if entry.is_none() {
                result.reasons.push(Reason::new(ReasonCode::MetadataNotFound, not_found()));
            }
            return Ok(result);
        }
    }

    // Status reports (MDS3 §3.2 step 8, relying-party policy).
    match &entry {
        Some(entry) => {
            let mut chain: Vec<Arc<Cert>> =
                result.path.as_ref().map(|p| p.chain.clone()).unwrap_or_default();
            if let Some(p) = &result.path {
                chain.push(p.anchor.clone());
            }
            let verdict = entry.evaluate(&chain, ctx.policy, ctx.now);
            if !verdict.trusted {
                result.reasons.push(Reason::new(
                    ReasonCode::StatusRefused,
                    verdict.reason.clone().unwrap_or_else(|| {
                        format!(
                            "metadata status {} refused by policy",
                            verdict.refused_status.as_ref().map(|s| s.as_str()).unwrap_or("?")
                        )
                    }),
                ));
            }
            result.verdict = Some(verdict);
        }
        None => {
            // Anchored by an operator-configured extra anchor only: trusted by that decision.
        }
    }
    result.trusted = result.reasons.is_empty();
    Ok(result)
}

/// `build_path` under the attestation profile through the chain cache: the outcome, or
/// [`Deferred`] on a miss when `ctx.on_miss` says so.
fn build_cached(
    leaf: &Arc<Cert>,
    rest: &[Arc<Cert>],
    anchors: &[TrustAnchor],
    ctx: &TrustContext<'_>,
) -> Result<Result<VerifiedPath, PathError>, Deferred> {
    let mut hasher = Sha256::new();
    for a in anchors {
        hasher.update(a.cert.sha256());
        hasher.update(a.label.as_bytes());
        hasher.update(&[0]);
    }
    let anchors_digest = hasher.finish();
    let offered: Vec<Arc<Cert>> = std::iter::once(leaf).chain(rest.iter()).cloned().collect();
    let key =
        ChainKey { chain: offered.iter().map(|c| *c.sha256()).collect(), anchors: anchors_digest };
    if let Some(outcome) = ctx.cache.get(&key, &offered, ctx.now, ctx.on_miss == OnMiss::Build) {
        return Ok(outcome);
    }
    if ctx.on_miss == OnMiss::Defer {
        return Err(Deferred);
    }
    let outcome = build_path(leaf, rest, anchors, ctx.now, PathProfile::Attestation, ctx.budget);
    ctx.cache.insert(key, &offered, ctx.now, &outcome);
    Ok(outcome)
}

#[cfg(test)]
mod tests;
