//! Phase 1 of BLOB verification: [`inspect`] reads the bytes once — the compact JWS split and
//! decoded, the header (`alg`, `x5c` parsed into certificates, `x5u`), the payload decoded —
//! and answers what the caller must fetch before phase 2 ([`InspectedBlob::verify`]): the CRL
//! distribution points of the `x5c` certificates and the `x5u` URL.
//!
//! Nothing read here is trusted yet. Only the steps that must pass before anything else can be
//! read fail here (`size`, `jws`, `header`); every other defect (an `x5c` entry that is not a
//! certificate, too many of them, a payload that is not UTF-8) is recorded and reported by phase
//! 2 at its own step, so that a BLOB fails at the same step, with the same error, whether it is
//! verified in one call ([`super::verify_blob`]) or in two.

use std::fmt;
use std::sync::Arc;

use super::jws::{self, JwsAlg, JwsHeader};
use super::{
    payload, BlobError, BlobVerifyOptions, PayloadError, DEFAULT_MAX_BLOB_BYTES, DEFAULT_MAX_X5C,
};
use crate::x509::{Cert, CertError};

/// Bounds on the work of phase 1 ([`inspect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InspectLimits {
    /// Larger BLOBs are refused before any parsing.
    pub max_blob_bytes: usize,
    /// At most this many `x5c` certificates are parsed (a header with more is refused by
    /// phase 2).
    pub max_x5c: usize,
}

impl Default for InspectLimits {
    fn default() -> Self {
        InspectLimits { max_blob_bytes: DEFAULT_MAX_BLOB_BYTES, max_x5c: DEFAULT_MAX_X5C }
    }
}

impl BlobVerifyOptions {
    /// The bounds of phase 1 that go with these options: inspect with these, then verify with
    /// the options.
    pub fn inspect_limits(&self) -> InspectLimits {
        InspectLimits { max_blob_bytes: self.max_blob_bytes, max_x5c: self.max_x5c }
    }
}

/// A BLOB read once and not verified yet: what phase 2 ([`InspectedBlob::verify`]) checks, and
/// what the caller needs to gather the evidence for it (CRLs, the `x5u` chain).
///
/// `B` holds the BLOB bytes: a borrowed slice (a BLOB verified in place, e.g. in a file buffer)
/// or an owned buffer the caller gets back with [`InspectedBlob::into_blob`] (e.g. to persist
/// the BLOB after it was accepted).
pub struct InspectedBlob<B = Vec<u8>> {
    blob: B,
    /// Length of `BASE64URL(header) '.' BASE64URL(payload)` at the start of `blob`: the JWS
    /// signing input (RFC 7515 §5.2 step 8).
    signing_input_len: usize,
    header: JwsHeader,
    /// `header.alg` when it names an algorithm mdsd implements (not checked against any
    /// allow-list yet).
    alg: Option<JwsAlg>,
    x5c: X5c,
    /// The decoded payload as text, or why it is not (reported at the `payload` step).
    payload: Result<Arc<String>, PayloadError>,
    signature: Vec<u8>,
}

/// `x5c` as phase 1 read it. Every certificate is parsed at most once per BLOB.
#[derive(Debug, Clone, Default)]
pub(super) struct X5c {
    /// The certificates that parsed, in header order.
    pub(super) certs: Vec<Arc<Cert>>,
    /// How many certificates the header lists.
    pub(super) count: usize,
    /// How many of them were parsed (the first `max_x5c`).
    pub(super) parsed: usize,
    /// The first of those that is not a certificate, with why.
    pub(super) bad: Option<(usize, CertError)>,
}

/// MDS3 §3.2 (phase 1 of 2): splits and decodes the compact JWS `blob`, reads its header and
/// parses the `x5c` certificates (at most `limits.max_x5c`).
///
/// Fails only at the steps nothing can be read without: `size` ([`BlobError::TooLarge`]), `jws`
/// ([`BlobError::MalformedJws`]) and `header` ([`BlobError::MalformedHeader`]).
pub fn inspect<B: AsRef<[u8]>>(
    blob: B,
    limits: &InspectLimits,
) -> Result<InspectedBlob<B>, BlobError> {
    let bytes = blob.as_ref();
    // Bound the input before touching it.
    if bytes.len() > limits.max_blob_bytes {
        return Err(BlobError::TooLarge { size: bytes.len(), max: limits.max_blob_bytes });
    }
    // RFC 7515 §5.2 steps 1–7: split and decode.
    let jws = jws::split_compact(bytes)?;
    let signing_input_len = jws.signing_input.len();
    let jws::CompactJws { header, payload, signature, .. } = jws;
    let alg = JwsAlg::parse(&header.alg);
    let x5c =
        header.x5c.as_deref().map(|ders| X5c::parse(ders, limits.max_x5c)).unwrap_or_default();
    // The entries of the trust store keep their JSON as ranges of this one copy of the payload.
    let payload = payload::shared_text(payload);
    Ok(InspectedBlob { blob, signing_input_len, header, alg, x5c, payload, signature })
}

impl X5c {
    fn parse(ders: &[Vec<u8>], max: usize) -> X5c {
        let mut x5c = X5c { count: ders.len(), ..X5c::default() };
        for (index, der) in ders.iter().take(max).enumerate() {
            x5c.parsed += 1;
            match Cert::from_der(der) {
                Ok(cert) => x5c.certs.push(Arc::new(cert)),
                Err(e) => {
                    x5c.bad.get_or_insert((index, e));
                }
            }
        }
        x5c
    }
}

impl<B: AsRef<[u8]>> InspectedBlob<B> {
    /// The BLOB bytes as given.
    pub fn blob(&self) -> &[u8] {
        self.blob.as_ref()
    }

    /// The BLOB bytes back (e.g. to persist them once the BLOB is accepted).
    pub fn into_blob(self) -> B {
        self.blob
    }

    /// The JOSE header as decoded (not trusted).
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The header's `alg` when mdsd implements it; whether it is allowed is phase 2's check.
    pub fn alg(&self) -> Option<JwsAlg> {
        self.alg
    }

    /// The header's `x5u` (MDS3 §3.2 step 4): the caller checks its origin
    /// ([`super::check_x5u_origin`]), downloads the chain and passes it to phase 2
    /// ([`BlobVerifyOptions::x5u_chain`]). With `x5u`, `x5c` is not used.
    pub fn x5u(&self) -> Option<&str> {
        self.header.x5u.as_deref()
    }

    /// The `x5c` certificates that parsed, in header order (the first
    /// [`InspectLimits::max_x5c`] looked at): the candidates of the signing chain.
    pub fn x5c_certificates(&self) -> &[Arc<Cert>] {
        &self.x5c.certs
    }

    /// The CRL distribution point URIs of the `x5c` certificates, each once, in order: where
    /// the CRLs of MDS3 §3.2 step 2 come from. An `x5u` chain's are read from its certificates.
    pub fn crl_distribution_points(&self) -> Vec<&str> {
        let mut urls: Vec<&str> = Vec::new();
        for url in self.x5c.certs.iter().flat_map(|c| c.crl_distribution_points()) {
            if !urls.contains(&url.as_str()) {
                urls.push(url);
            }
        }
        urls
    }

    /// `BASE64URL(header) '.' BASE64URL(payload)`.
    pub(super) fn signing_input(&self) -> &[u8] {
        self.blob().get(..self.signing_input_len).unwrap_or_default()
    }

    pub(super) fn signature(&self) -> &[u8] {
        &self.signature
    }

    pub(super) fn x5c(&self) -> Option<&X5c> {
        self.header.x5c.as_ref().map(|_| &self.x5c)
    }

    pub(super) fn payload(&self) -> &Result<Arc<String>, PayloadError> {
        &self.payload
    }
}

impl<B: AsRef<[u8]>> fmt::Debug for InspectedBlob<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subjects: Vec<&str> = self.x5c.certs.iter().map(|c| c.subject()).collect();
        f.debug_struct("InspectedBlob")
            .field("bytes", &self.blob().len())
            .field("alg", &self.header.alg)
            .field("x5u", &self.header.x5u)
            .field("x5c", &subjects)
            .field("x5c_count", &self.x5c.count)
            .field("payload_bytes", &self.payload.as_ref().map(|p| p.len()))
            .finish_non_exhaustive()
    }
}
