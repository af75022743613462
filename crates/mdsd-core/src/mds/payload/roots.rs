//! An entry's `attestationRootCertificates`: decoded tolerantly (whitespace, concatenated
//! certificates, undecodable roots left out with a note), within the per-entry certificate
//! budget, each distinct string of a payload decoded once and checked as [`RootCheck`] says.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::{CertBudgetExceeded, RootNote};
use crate::trust_store::LazyCert;
use crate::x509::{Cert, CertError};

/// How much of a root is checked at load (the rest on first use, see [`LazyCert`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RootCheck {
    /// [`Cert::check_frame`]: a BLOB's roots (signed by the MDS, hundreds of them; the full
    /// parse of the 166 distinct roots of the 2024-12 BLOB was a tenth of its ingest).
    Frame,
    /// [`Cert::check_der`], as complete as the parse on first use: an operator's statement files
    /// (a handful of roots, whose author wants every error at load).
    Full,
}

/// One `attestationRootCertificates` string, decoded tolerantly (before the per-entry budget):
/// ASCII whitespace is ignored (the 2024-12 BLOB has a root starting with a tab), several DER
/// certificates concatenated in one string are split (the same BLOB's Feitian BioPass entry),
/// and a root that does not decode or parse is left out with a note (a missing root can only
/// make fewer chains trusted). Only the certificate budget is an error (it quarantines the
/// entry).
#[derive(Debug, Clone)]
pub(super) struct RootsDecoded {
    whitespace: bool,
    outcome: RootsOutcome,
}

#[derive(Debug, Clone)]
enum RootsOutcome {
    NotBase64(base64::DecodeError),
    /// `split` is the number of pieces when the string held several concatenated certificates.
    /// Only the first `max_certs_per_entry` pieces are parsed: `more` says there were others
    /// (the budget refuses them before they would be used).
    Pieces {
        split: Option<usize>,
        certs: Vec<Result<Arc<LazyCert>, CertError>>,
        more: bool,
    },
}

impl RootsDecoded {
    pub(super) fn decode(text: &str, max_certs: usize, check: RootCheck) -> RootsDecoded {
        // Only ASCII whitespace is dropped, so a byte filter is exact.
        let whitespace = has_ascii_whitespace(text.as_bytes());
        let compact: Cow<'_, [u8]> = if whitespace {
            Cow::Owned(text.bytes().filter(|b| !b.is_ascii_whitespace()).collect())
        } else {
            Cow::Borrowed(text.as_bytes())
        };
        let der = match STANDARD.decode(&compact) {
            Ok(der) => der,
            Err(e) => return RootsDecoded { whitespace, outcome: RootsOutcome::NotBase64(e) },
        };
        // Several certificates in one string: each piece copied out (at most `max_certs`); one
        // certificate (the usual case) keeps the decoded bytes.
        let split = split_der_sequences(&der).filter(|pieces| pieces.len() > 1).map(|pieces| {
            let count = pieces.len();
            (count, pieces.into_iter().take(max_certs).map(<[u8]>::to_vec).collect::<Vec<_>>())
        });
        let (split, pieces, more) = match split {
            Some((count, pieces)) => (Some(count), pieces, count > max_certs),
            None => (None, vec![der], 1 > max_certs),
        };
        let certs = pieces
            .into_iter()
            .take(max_certs)
            .map(|piece| {
                // Checked now (a root refused here is reported at load), parsed into a `Cert`
                // on first use.
                let checked = match check {
                    RootCheck::Frame => Cert::check_frame(&piece),
                    RootCheck::Full => Cert::check_der(&piece),
                };
                checked.map(|()| Arc::new(LazyCert::new(piece)))
            })
            .collect();
        RootsDecoded { whitespace, outcome: RootsOutcome::Pieces { split, certs, more } }
    }

    /// Adds the certificates to `roots` within `budget`, with the notes for the entry.
    pub(super) fn apply(
        &self,
        budget: &mut CertBudget,
        roots: &mut Vec<Arc<LazyCert>>,
        note: &mut dyn FnMut(RootNote),
    ) -> Result<(), CertBudgetExceeded> {
        if self.whitespace {
            note(RootNote::Whitespace);
        }
        let (split, certs, more) = match &self.outcome {
            RootsOutcome::NotBase64(e) => {
                note(RootNote::NotBase64(e.clone()));
                return Ok(());
            }
            RootsOutcome::Pieces { split, certs, more } => (split, certs, *more),
        };
        if let Some(count) = *split {
            note(RootNote::Split { count });
        }
        for cert in certs {
            budget.take()?;
            match cert {
                Ok(cert) => roots.push(cert.clone()),
                Err(e) => note(RootNote::NotACertificate(e.clone())),
            }
        }
        if more {
            // The budget is at most `max_certs`, so it is spent by now: this refuses.
            budget.take()?;
        }
        Ok(())
    }
}

/// Decoded `attestationRootCertificates` strings of one payload, by their text: real BLOBs
/// repeat the same roots in many entries (396 strings, 166 distinct in the 2024-12 BLOB).
pub(super) struct RootsCache<'a> {
    decoded: HashMap<RootText<'a>, RootsDecoded, BuildHasherDefault<RootHasher>>,
    max_certs: usize,
    check: RootCheck,
}

impl<'a> RootsCache<'a> {
    /// An empty cache; each string yields at most `max_certs` certificates, each checked as
    /// `check` says.
    pub(super) fn new(max_certs: usize, check: RootCheck) -> RootsCache<'a> {
        RootsCache { decoded: HashMap::default(), max_certs, check }
    }
    /// How many distinct strings were decoded.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.decoded.len()
    }
    /// [`RootsDecoded::apply`] for `text`, decoding it on first sight.
    pub(super) fn apply(
        &mut self,
        text: Cow<'a, str>,
        budget: &mut CertBudget,
        roots: &mut Vec<Arc<LazyCert>>,
        note: &mut dyn FnMut(RootNote),
    ) -> Result<(), CertBudgetExceeded> {
        let key = RootText(text);
        if let Some(decoded) = self.decoded.get(&key) {
            return decoded.apply(budget, roots, note);
        }
        let decoded = RootsDecoded::decode(&key.0, self.max_certs, self.check);
        let result = decoded.apply(budget, roots, note);
        self.decoded.insert(key, decoded);
        result
    }
}

/// A root string as a cache key: compared whole, hashed on its length and its last 16 bytes
/// (the end of the certificate's signature), which is enough to tell real roots apart and much
/// cheaper than hashing kilobytes of base64 per lookup.
#[derive(PartialEq, Eq)]
struct RootText<'a>(Cow<'a, str>);

impl std::hash::Hash for RootText<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let bytes = self.0.as_bytes();
        let tail = bytes.get(bytes.len().saturating_sub(16)..).unwrap_or_default();
        let mut word = [0u8; 16];
        if let Some(dst) = word.get_mut(..tail.len()) {
            dst.copy_from_slice(tail);
        }
        state.write_u64(bytes.len() as u64);
        state.write_u128(u128::from_le_bytes(word));
    }
}

/// A multiply-rotate hasher (FxHash's) for [`RootText`] keys. The keys come from a payload
/// whose signature was verified (or from tests), so collision attacks are not a concern; the
/// cache is per payload and bounded by its entries.
#[derive(Default)]
struct RootHasher(u64);

impl std::hash::Hasher for RootHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            if let Some(dst) = word.get_mut(..chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u128(&mut self, word: u128) {
        self.write_u64(word as u64);
        self.write_u64((word >> 64) as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// `bytes.iter().any(u8::is_ascii_whitespace)`, vectorised.
pub(super) fn has_ascii_whitespace(bytes: &[u8]) -> bool {
    memchr::memchr3(b' ', b'\t', b'\n', bytes).is_some()
        || memchr::memchr2(b'\r', b'\x0c', bytes).is_some()
}

/// The certificates an entry may still hold: attestation roots and status-report certificates
/// together, [`super::PayloadLimits::max_certs_per_entry`] in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CertBudget {
    left: usize,
    max: usize,
}

impl CertBudget {
    pub(super) fn new(max: usize) -> CertBudget {
        CertBudget { left: max, max }
    }

    /// One certificate more, or the error that quarantines the entry.
    pub(super) fn take(&mut self) -> Result<(), CertBudgetExceeded> {
        if self.left == 0 {
            return Err(CertBudgetExceeded { max: self.max });
        }
        self.left -= 1;
        Ok(())
    }
}

/// Splits bytes into consecutive DER SEQUENCEs (tag 0x30, definite length of up to 4 bytes).
/// `None` when the bytes are not exactly such a concatenation.
fn split_der_sequences(mut der: &[u8]) -> Option<Vec<&[u8]>> {
    let mut pieces = Vec::new();
    while !der.is_empty() {
        let (&tag, rest) = der.split_first()?;
        let (&first, rest) = rest.split_first()?;
        if tag != 0x30 {
            return None;
        }
        let (len, header) = match first {
            0..=0x7f => (usize::from(first), 2),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7f);
                let bytes = rest.get(..n)?;
                (bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), 2 + n)
            }
            _ => return None,
        };
        let total = header.checked_add(len)?;
        pieces.push(der.get(..total)?);
        der = der.get(total..)?;
    }
    Some(pieces)
}
