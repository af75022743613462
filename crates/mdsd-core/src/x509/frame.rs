//! [`Cert::check_frame`]: a cheap check that bytes can be a certificate, for certificates kept
//! as DER and parsed in full on first use (the attestation roots of a BLOB: 166 distinct ones in
//! the 2024-12 BLOB, whose full parse was a tenth of the ingest).
//!
//! The rule this module keeps: **whatever `check_frame` refuses, [`Cert::from_der`] refuses
//! too.** So a root left out at load would never have been usable; the converse does not hold
//! (names, the key, unique identifiers and extensions are read only by the full parse, and a
//! root that fails there is left out on first use, with a warning in the log). To keep the rule,
//! every element is read with the very function x509-parser 0.16 reads it with
//! (`TbsCertificateParser`, `X509CertificateParser`), or with a more lenient one, never a
//! stricter one:
//!
//! | element | x509-parser | here |
//! | --- | --- | --- |
//! | Certificate, tbsCertificate | DER header, tag number 16, definite length, contents taken | the same |
//! | version `[0]` | `Any::from_der`; tag 0 must be context-specific | the same (the INTEGER inside not read) |
//! | serialNumber | `Any::from_ber`, tag INTEGER | the same |
//! | signature, signatureAlgorithm | `Any::from_der`, tag SEQUENCE, then the OID | `Any::from_der`, tag SEQUENCE |
//! | issuer | DER header, tag number 16, contents taken, then each RDN | the header and the contents taken |
//! | validity | `Validity::from_der` | `Validity::from_der` (dates that do not exist are refused here) |
//! | subject, key, unique IDs, extensions | read | not read |
//! | signatureValue | `BitString::from_der` | `BitString::from_der` |
//!
//! Bytes after the signature inside the outer SEQUENCE are ignored by both; bytes after the outer
//! SEQUENCE are refused by both ([`CertError::TrailingBytes`]).

use asn1_rs::{Any, BitString, Class, FromBer, FromDer, Header, Tag};
use x509_parser::certificate::Validity;

use super::cert::{CertError, MAX_CERT_LEN};
use super::Cert;

impl Cert {
    /// Whether `der` has the frame of a certificate: within 64 KiB (the bound of
    /// [`Cert::from_der`]), a DER SEQUENCE (nothing after it) holding tbsCertificate up to its
    /// validity, whose dates must be real dates, then signatureAlgorithm and signatureValue. A necessary condition of
    /// [`Cert::from_der`] at a fraction of its cost: what this refuses, `from_der` refuses; what
    /// it accepts may still fail `from_der` (on first use). See the module docs for each element.
    pub fn check_frame(der: &[u8]) -> Result<(), CertError> {
        if der.len() > MAX_CERT_LEN {
            return Err(CertError::TooLarge { len: der.len(), max: MAX_CERT_LEN });
        }
        let (certificate, rest) = sequence(der, "Certificate")?;
        if !rest.is_empty() {
            return Err(CertError::TrailingBytes { count: rest.len() });
        }
        let (tbs, after_tbs) = sequence(certificate, "tbsCertificate")?;
        check_tbs_head(tbs)?;
        let after_alg = any_sequence(after_tbs, "signatureAlgorithm")?;
        BitString::from_der(after_alg).map_err(|e| der_error("signatureValue", e))?;
        Ok(())
    }
}

/// tbsCertificate from its start to its validity (RFC 5280 §4.1.2.1–5).
fn check_tbs_head(tbs: &[u8]) -> Result<(), CertError> {
    // version [0] EXPLICIT, optional: present when the first element's tag number is 0.
    let mut at = tbs;
    if !at.is_empty() {
        let (rest, first) = Any::from_der(at).map_err(|e| der_error("version", e))?;
        if first.tag() == Tag(0) {
            if first.class() != Class::ContextSpecific {
                return Err(CertError::Der {
                    detail: format!("version: class {:?} for tag [0]", first.class()),
                });
            }
            at = rest;
        }
    }
    let (at, serial) = Any::from_ber(at).map_err(|e| der_error("serialNumber", e))?;
    if serial.tag() != Tag::Integer {
        return Err(CertError::Der {
            detail: format!("serialNumber: tag {} where an INTEGER was expected", serial.tag()),
        });
    }
    let at = any_sequence(at, "signature")?;
    let (_, at) = sequence(at, "issuer")?;
    Validity::from_der(at).map_err(|e| CertError::Der { detail: format!("validity: {e}") })?;
    Ok(())
}

/// A DER element with tag number 16 (SEQUENCE) and a definite length, read as x509-parser's
/// `parse_der_sequence_defined_g` reads it (the class and the constructed bit are not looked
/// at): `(contents, what follows)`.
fn sequence<'a>(input: &'a [u8], what: &str) -> Result<(&'a [u8], &'a [u8]), CertError> {
    let (rest, header) = Header::from_der(input).map_err(|e| der_error(what, e))?;
    if header.tag() != Tag::Sequence {
        return Err(CertError::Der {
            detail: format!("{what}: tag {} where a SEQUENCE was expected", header.tag()),
        });
    }
    let len = header.length().definite().map_err(|e| der_error(what, e))?;
    match (rest.get(..len), rest.get(len..)) {
        (Some(contents), Some(after)) => Ok((contents, after)),
        _ => Err(CertError::Der {
            detail: format!("{what}: {len} bytes of contents, {} present", rest.len()),
        }),
    }
}

/// An `AlgorithmIdentifier` as far as its frame: `Any::from_der` with tag SEQUENCE. Returns
/// what follows.
fn any_sequence<'a>(input: &'a [u8], what: &str) -> Result<&'a [u8], CertError> {
    let (rest, any) = Any::from_der(input).map_err(|e| der_error(what, e))?;
    if any.tag() != Tag::Sequence {
        return Err(CertError::Der {
            detail: format!("{what}: tag {} where a SEQUENCE was expected", any.tag()),
        });
    }
    Ok(rest)
}

fn der_error(what: &str, e: impl std::fmt::Display) -> CertError {
    CertError::Der { detail: format!("{what}: {e}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every certificate this crate carries (the pinned MDS roots) and their corruptions: the
    /// frame check refuses only what the full parse refuses. (The real-data form of this test,
    /// over every certificate in ../shared/testdata, is `tests/x509_frame.rs`.)
    #[test]
    fn refuses_only_what_from_der_refuses() {
        for anchor in crate::mds::builtin_roots() {
            let good = anchor.cert.der().to_vec();
            assert_eq!(Cert::check_frame(&good), Ok(()));
            let (mut refused, mut full_refused) = (0, 0);
            for bad in corruptions(&good) {
                let full = Cert::from_der(&bad).is_err();
                full_refused += usize::from(full);
                if Cert::check_frame(&bad).is_err() {
                    refused += 1;
                    assert!(full, "{}", hex::encode(&bad));
                }
            }
            // Not vacuous: it refuses many of the corruptions the full parse refuses.
            assert!(refused > 100 && refused * 2 > full_refused, "{refused} of {full_refused}");
        }
    }

    /// Each check of the frame, one corruption each: removing a check makes its line fail.
    #[test]
    fn each_element_of_the_frame_is_checked() {
        let good = crate::mds::builtin_roots()[0].cert.der().to_vec();
        let refused = |der: &[u8], what: &str| match Cert::check_frame(der) {
            Err(CertError::Der { detail }) => assert!(detail.starts_with(what), "{detail}"),
            other => panic!("{what}: {other:?}"),
        };
        // The outer SEQUENCE's tag, and the bytes after it.
        let mut bad = good.clone();
        bad[0] = 0x31;
        refused(&bad, "Certificate");
        assert_eq!(
            Cert::check_frame(&[good.as_slice(), &[0]].concat()),
            Err(CertError::TrailingBytes { count: 1 })
        );
        assert!(matches!(
            Cert::check_frame(&vec![0x30; MAX_CERT_LEN + 1]),
            Err(CertError::TooLarge { .. })
        ));
        // Offsets of the tbs elements, found with the full parser's help.
        let (_, x509) = x509_parser::parse_x509_certificate(&good).unwrap();
        let tbs = x509.tbs_certificate.as_ref();
        let tbs_at = find(&good, tbs);
        bad = good.clone();
        bad[tbs_at] = 0x31;
        refused(&bad, "tbsCertificate");
        // version [0] with the universal class.
        bad = good.clone();
        assert_eq!(bad[tbs_at + 4], 0xa0, "a v3 certificate with a long tbs header");
        bad[tbs_at + 4] = 0x20;
        refused(&bad, "version");
        let serial_at = find(&good, x509.tbs_certificate.raw_serial()) - 2;
        bad = good.clone();
        bad[serial_at] = 0x04;
        refused(&bad, "serialNumber");
        let issuer_at = find(&good, x509.tbs_certificate.issuer().as_raw());
        let signature_at = serial_at + 2 + x509.tbs_certificate.raw_serial().len();
        bad = good.clone();
        bad[signature_at] = 0x31;
        refused(&bad, "signature");
        bad = good.clone();
        bad[issuer_at] = 0x31;
        refused(&bad, "issuer");
        // A notBefore on a day that does not exist: 31 February.
        let validity_at = issuer_at + x509.tbs_certificate.issuer().as_raw().len();
        bad = good.clone();
        let month = validity_at + 2 + 2 + 2;
        bad[month..month + 4].copy_from_slice(b"0231");
        refused(&bad, "validity");
        // The outer signatureAlgorithm and signatureValue.
        let outer_alg_at = tbs_at + tbs.len();
        bad = good.clone();
        bad[outer_alg_at] = 0x31;
        refused(&bad, "signatureAlgorithm");
        let bits_at = good.len() - x509.signature_value.data.len() - 1 - 4;
        bad = good.clone();
        assert_eq!(bad[bits_at], 0x03);
        bad[bits_at] = 0x04;
        refused(&bad, "signatureValue");
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).position(|w| w == needle).unwrap()
    }

    /// Truncations, bytes added, and three flips of every byte of the first 200 and the last
    /// 300 (the frame's headers, the validity, the signature).
    fn corruptions(good: &[u8]) -> Vec<Vec<u8>> {
        let mut cases = vec![Vec::new(), vec![0x30, 0x00], [good, &[0]].concat()];
        for cut in [1, 2, 4, 10, 100, good.len() / 2, good.len() - 1] {
            cases.push(good[..cut].to_vec());
        }
        let positions = (0..200.min(good.len())).chain(good.len().saturating_sub(300)..good.len());
        for i in positions {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = good.to_vec();
                bad[i] ^= flip;
                cases.push(bad);
            }
        }
        cases
    }
}
