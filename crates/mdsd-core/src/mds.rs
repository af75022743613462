//! MDS3 BLOB verification (FIDO Metadata Service v3 §3.2): compact JWS → signing chain to a
//! pinned root → CRLs → signature → payload → rollback refusal → [`TrustStore`].
//!
//! Pure: the caller supplies the BLOB bytes, the trust anchors, the CRLs (and an x5u chain it
//! downloaded), the last accepted `no`, and `now`. Nothing here fetches, reads files or the clock.
//!
//! Two phases, so that the BLOB is read once even when the caller must learn from it what to
//! fetch:
//!
//! - [`inspect()`] (phase 1, steps 1–3 below): the JWS split and decoded, the header, the `x5c`
//!   certificates parsed; [`InspectedBlob::crl_distribution_points`] and
//!   [`InspectedBlob::x5u`] say what to fetch.
//! - [`InspectedBlob::verify`] (phase 2, steps 4–12): with the CRLs and any `x5u` chain in
//!   [`BlobVerifyOptions`].
//!
//! [`verify_blob`] runs both for a caller that has every input at hand.
//!
//! The checks run in this order; each failure names its step ([`BlobError::step`]):
//!
//! 1. `size`: the BLOB is not larger than [`BlobVerifyOptions::max_blob_bytes`].
//! 2. `jws`: compact serialisation, three parts, strict unpadded base64url.
//! 3. `header`: a JSON object with `alg`; `x5c` decodes; no `crit`.
//! 4. `alg`: `alg` is on the allow-list.
//! 5. `x5u` (§3.2 step 4): when present, it has the BLOB URL's origin and its downloaded chain
//!    was supplied. `x5u` takes precedence over `x5c`.
//! 6. `chain`: x5c bounded and parseable.
//! 7. `alg`: `alg` fits the signing key's type (RS*/PS* RSA, ES256/384/512 P-256/384/521).
//! 8. `chain`: the leaf's keyUsage allows signatures; a path from the leaf through the offered
//!    certificates (an unordered bag) to a pinned anchor (§3.2 steps 4–5). Without x5c and x5u
//!    the anchor itself must have signed (§3.2 step 5).
//! 9. `revocation` (§3.2 step 2): every chain certificate against a current CRL of its issuer.
//! 10. `signature` (§3.2 step 6): the JWS signature with the leaf key (ECDSA as JOSE `r‖s`).
//! 11. `payload`: `no`, `nextUpdate`, `entries` well-formed (entries are parsed tolerantly:
//!     quarantined, not fatal).
//! 12. `rollback` (§3.2 step 6): `no` greater than the last accepted `no`.
//!
//! The signature is checked before the payload is parsed, so unauthenticated JSON is never
//! parsed; rollback is checked after the signature (an unsigned `no` proves nothing) and before
//! the entries are interpreted (the one pass over the payload has only read them raw; no entry,
//! certificate or index is built before the check).

mod error;
mod inspect;
mod jws;
mod payload;
mod roots;
mod verify;

use std::sync::Arc;

use time::{Date, OffsetDateTime};

pub use error::{BlobError, HeaderError, JwsError, JwsPart, UrlError, X5uOriginError};
pub use inspect::{inspect, InspectLimits, InspectedBlob};
pub use jws::{check_x5u_origin, parse_header, JwsAlg, JwsHeader, Origin};
pub use payload::{
    parse_metadata_statement, parse_metadata_statements, parse_payload, CertBudgetExceeded,
    DateError, EntryError, EntryNote, EntryWarning, LocalStatement, MemberError, ParsedPayload,
    PayloadError, PayloadLimits, Quarantined, ReportCertificateError, RootNote, StatementError,
    StatementProblem, StatusReportError, UnknownCounts,
};
pub use roots::{builtin_roots, GLOBALSIGN_ROOT_R3_SHA256, GLOBALSIGN_ROOT_R46_SHA256};

use crate::trust_store::TrustStore;
use crate::x509::{Cert, Crl, PathBudget, RevocationMode, TrustAnchor};

/// Default cap on the BLOB size: 64 MiB (the real BLOB was 4 MB in 2024 and 10 MB+ in 2026).
pub const DEFAULT_MAX_BLOB_BYTES: usize = 64 * 1024 * 1024;
/// Default cap on the number of certificates in `x5c` (or an x5u chain).
pub const DEFAULT_MAX_X5C: usize = 8;

/// Everything phase 2 ([`InspectedBlob::verify`], [`verify_blob`]) needs besides the BLOB and
/// `now`; phase 1 takes its bounds ([`BlobVerifyOptions::inspect_limits`]).
#[derive(Debug, Clone)]
pub struct BlobVerifyOptions {
    /// Pinned roots (MDS3 §3.2 step 1); see [`builtin_roots`].
    pub anchors: Vec<TrustAnchor>,
    /// CRLs for the signing chain (MDS3 §3.2 step 2), fetched by the caller.
    pub crls: Vec<Arc<Crl>>,
    /// [`RevocationMode::Require`] by default; `DangerSkip` must be logged loudly by the caller.
    pub revocation: RevocationMode,
    /// Accepted JWS algorithms; default [`JwsAlg::DEFAULT_ALLOWED`].
    pub allowed_algs: Vec<JwsAlg>,
    /// Larger BLOBs are refused before any parsing.
    pub max_blob_bytes: usize,
    /// Bounds on path building.
    pub path_budget: PathBudget,
    /// Most certificates accepted in `x5c` or an x5u chain.
    pub max_x5c: usize,
    /// Bounds on the payload.
    pub payload_limits: PayloadLimits,
    /// `no` of the last BLOB accepted; a BLOB whose `no` is not greater is refused.
    pub last_accepted_no: Option<u64>,
    /// URL the BLOB was downloaded from; required when the header has `x5u`.
    pub blob_url: Option<String>,
    /// The chain the caller downloaded from the header's `x5u` (see [`InspectedBlob::x5u`]).
    pub x5u_chain: Option<Vec<Arc<Cert>>>,
}

impl BlobVerifyOptions {
    /// Secure defaults around `anchors`: CRLs required (none given yet), default allow-list,
    /// 64 MiB cap, no rollback reference.
    pub fn new(anchors: Vec<TrustAnchor>) -> BlobVerifyOptions {
        BlobVerifyOptions {
            anchors,
            crls: Vec::new(),
            revocation: RevocationMode::Require,
            allowed_algs: JwsAlg::DEFAULT_ALLOWED.to_vec(),
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            path_budget: PathBudget::default(),
            max_x5c: DEFAULT_MAX_X5C,
            payload_limits: PayloadLimits::default(),
            last_accepted_no: None,
            blob_url: None,
            x5u_chain: None,
        }
    }
}

/// A BLOB that passed every step, with the trust store built from it.
#[derive(Debug, Clone)]
pub struct VerifiedBlob {
    pub no: u64,
    pub next_update: Date,
    pub alg: JwsAlg,
    /// The anchor the signing chain ended at (or that signed the BLOB itself).
    pub anchor: TrustAnchor,
    /// The validated chain, leaf first, anchor excluded; empty when the anchor signed.
    pub chain: Vec<Arc<Cert>>,
    /// The CRL that decided for each certificate of `chain` (leaf first); empty when the anchor
    /// signed or revocation checking was skipped (`danger_skip_revocation`).
    pub crls: Vec<Arc<Crl>>,
    pub legal_header: Option<String>,
    pub store: Arc<TrustStore>,
    /// Entries left out because they could not be understood.
    pub quarantined: Vec<Quarantined>,
    /// Defects tolerated in loaded entries (roots left out, whitespace, concatenated roots).
    pub warnings: Vec<EntryWarning>,
    /// Unknown members and status values (kept, counted, not fatal).
    pub unknown: UnknownCounts,
    /// False when the chain was accepted without revocation checking (`danger_skip_revocation`).
    pub revocation_checked: bool,
}

impl VerifiedBlob {
    /// True when `now` is past `nextUpdate`: the BLOB is still authentic, but a newer one should
    /// have been fetched (MDS3 §3.2 step 3). Callers decide what to do with a stale BLOB.
    pub fn is_stale(&self, now: OffsetDateTime) -> bool {
        now.to_offset(time::UtcOffset::UTC).date() > self.next_update
    }
}

/// Verifies a BLOB at `now` and builds its trust store (MDS3 §3.2; step order in the module
/// docs): [`inspect()`] then [`InspectedBlob::verify`], for callers that have every input at hand.
/// A caller that must first learn from the BLOB what to fetch (CRLs, an `x5u` chain) runs the two
/// phases itself, so that the BLOB is read once.
pub fn verify_blob(
    blob: &[u8],
    opts: &BlobVerifyOptions,
    now: OffsetDateTime,
) -> Result<VerifiedBlob, BlobError> {
    inspect(blob, &opts.inspect_limits())?.verify(opts, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_blob_is_refused_before_parsing() {
        let mut opts = BlobVerifyOptions::new(Vec::new());
        opts.max_blob_bytes = 10;
        let err = verify_blob(b"not even a JWS", &opts, OffsetDateTime::UNIX_EPOCH).unwrap_err();
        assert_eq!(err, BlobError::TooLarge { size: 14, max: 10 });
        assert_eq!(err.step(), "size");
    }

    /// The CLI's JSON and the gRPC report carry these messages: the typed errors read exactly as
    /// the strings they replaced.
    #[test]
    fn error_messages_read_as_before() {
        let cases: [(String, &str); 8] = [
            (
                EntryError::StatusReport {
                    index: 2,
                    reason: StatusReportError::Certificate(ReportCertificateError::Budget(
                        CertBudgetExceeded { max: 1 },
                    )),
                }
                .to_string(),
                "statusReports[2]: certificate: too many certificates in this entry",
            ),
            (
                EntryError::Member(MemberError::Missing { member: "statusReports" }).to_string(),
                "missing statusReports",
            ),
            (
                EntryNote::AttestationRoot { index: 1, note: RootNote::Split { count: 2 } }
                    .to_string(),
                "attestationRootCertificates[1]: 2 concatenated certificates split",
            ),
            (
                EntryNote::AttestationRoot { index: 0, note: RootNote::Whitespace }.to_string(),
                "attestationRootCertificates[0]: whitespace inside the base64 ignored",
            ),
            (
                BlobError::from(PayloadError::TooManyEntries { count: 3, max: 2 }).to_string(),
                "payload: 3 entries, more than the 2 allowed",
            ),
            (
                BlobError::from(JwsError::EmptyPart { part: JwsPart::Signature }).to_string(),
                "malformed compact JWS: empty signature",
            ),
            (
                check_x5u_origin("http://a.example/c", "https://a.example/")
                    .unwrap_err()
                    .to_string(),
                "x5u http://a.example/c refused (BLOB URL https://a.example/): origin \
                 http://a.example:80 differs from https://a.example:443",
            ),
            (
                check_x5u_origin("ftp://a/", "https://a/").unwrap_err().to_string(),
                "x5u ftp://a/ refused (BLOB URL https://a/): x5u: scheme \"ftp\" is not http(s)",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn defaults_are_strict() {
        let opts = BlobVerifyOptions::new(Vec::new());
        assert_eq!(opts.revocation, RevocationMode::Require);
        assert_eq!(opts.max_blob_bytes, 64 * 1024 * 1024);
        assert!(!opts.allowed_algs.contains(&JwsAlg::EdDsa));
        for alg in ["RS256", "ES256", "PS256", "ES384", "RS384", "RS512", "PS384", "PS512", "ES512"]
        {
            assert!(opts.allowed_algs.contains(&JwsAlg::parse(alg).unwrap()), "{alg}");
        }
    }
}
