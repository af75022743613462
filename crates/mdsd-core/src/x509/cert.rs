//! An owned, pre-parsed X.509 certificate: every field mdsd's checks read, extracted once.

use std::fmt;

use thiserror::Error;
use time::OffsetDateTime;

use x509_parser::certificate::{X509Certificate, X509CertificateParser};
use x509_parser::extensions::{
    CRLDistributionPoints, DistributionPointName, GeneralName, ParsedExtension,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::AlgorithmIdentifier;

use crate::crypto::{self, PublicKey, SignatureError, SignatureScheme};

/// Largest certificate accepted (real attestation certificates are below 4 KiB).
pub const MAX_CERT_LEN: usize = 64 * 1024;

/// A certificate parsed once; cheap to query, cheap to clone behind an `Arc`.
#[derive(Clone)]
pub struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) sha256: [u8; 32],
    pub(crate) version: u32,
    /// The DER bytes of `tbsCertificate` (what the issuer signed).
    pub(crate) tbs: Vec<u8>,
    pub(crate) serial: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer: String,
    pub(crate) subject: String,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    pub(crate) public_key: PublicKey,
    /// The BIT STRING contents of subjectPublicKey (input to the FIDO key identifier).
    pub(crate) public_key_bits: Vec<u8>,
    /// `None` when the certificate's signature algorithm is not one mdsd supports.
    pub(crate) signature_scheme: Option<SignatureScheme>,
    pub(crate) signature_algorithm_oid: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) basic_constraints: Option<BasicConstraints>,
    pub(crate) key_usage: Option<KeyUsage>,
    pub(crate) extended_key_usage: Vec<String>,
    pub(crate) subject_key_id: Option<Vec<u8>>,
    pub(crate) authority_key_id: Option<Vec<u8>>,
    pub(crate) crl_distribution_points: Vec<String>,
    pub(crate) extensions: Vec<Extension>,
}

/// basicConstraints (RFC 5280 §4.2.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
    pub critical: bool,
}

/// keyUsage bits (RFC 5280 §4.2.1.3), bit 0 = digitalSignature … bit 8 = decipherOnly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;
    pub fn has(&self, bit: u16) -> bool {
        self.0 & bit != 0
    }
}

/// One extension as it appears in the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// Dotted OID, e.g. `"1.3.6.1.4.1.45724.1.1.4"`.
    pub oid: String,
    pub critical: bool,
    /// The extnValue OCTET STRING contents (DER of the extension's own structure).
    pub value: Vec<u8>,
}

/// Why bytes are not a usable certificate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CertError {
    /// More than `MAX_CERT_LEN` bytes.
    #[error("certificate of {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    /// PEM input whose armour does not parse (the pem crate's words).
    #[error("certificate PEM does not parse: {detail}")]
    Pem { detail: String },
    /// Not a DER `Certificate` (RFC 5280 §4.1; x509-parser's words).
    #[error("not a DER X.509 certificate: {detail}")]
    Der { detail: String },
    /// A DER certificate followed by other bytes.
    #[error("{count} trailing bytes after the certificate")]
    TrailingBytes { count: usize },
    #[error("no certificate found in PEM input")]
    NoCertificate,
    /// The subject `Name` (RFC 5280 §4.1.2.6) does not parse attribute by attribute.
    #[error("certificate subject does not parse: {detail}")]
    MalformedSubject { detail: String },
}

impl Cert {
    /// Parses one DER certificate. Trailing bytes are an error.
    ///
    /// Lenient on purpose (REFERENCE.md §5): negative or zero serial numbers, empty subjects,
    /// unknown or unparsable extensions, unsupported key and signature algorithms are all kept
    /// and only matter if a check later reads them ([`PublicKey::Unsupported`],
    /// `signature_scheme() == None`). Only DER that is not a certificate is refused.
    pub fn from_der(der: &[u8]) -> Result<Cert, CertError> {
        let x509 = parse_x509(der, true)?;
        let tbs = &x509.tbs_certificate;
        let public_key = match PublicKey::from_spki(tbs.public_key()) {
            Ok(key) => key,
            // A broken key only matters if this certificate is used to verify something.
            Err(e) => PublicKey::Unsupported { algorithm: format!("malformed key: {e}") },
        };
        let agree = algorithms_agree(der);
        let mut cert = Cert {
            der: der.to_vec(),
            sha256: canonical_sha256(der),
            version: tbs.version().0.saturating_add(1),
            tbs: tbs.as_ref().to_vec(),
            serial: tbs.raw_serial().to_vec(),
            issuer_raw: tbs.issuer().as_raw().to_vec(),
            subject_raw: tbs.subject().as_raw().to_vec(),
            issuer: tbs.issuer().to_string(),
            subject: tbs.subject().to_string(),
            not_before: tbs.validity().not_before.to_datetime(),
            not_after: tbs.validity().not_after.to_datetime(),
            public_key,
            public_key_bits: tbs.public_key().subject_public_key.data.to_vec(),
            // RFC 5280 §4.1.1.2: signatureAlgorithm (outside the signed bytes) MUST equal
            // tbsCertificate.signature; compared as DER, else the signature is not checkable.
            signature_scheme: signature_scheme(&x509.signature_algorithm).filter(|_| agree),
            signature_algorithm_oid: x509.signature_algorithm.algorithm.to_id_string(),
            signature: x509.signature_value.data.to_vec(),
            basic_constraints: None,
            key_usage: None,
            extended_key_usage: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            crl_distribution_points: Vec::new(),
            extensions: Vec::new(),
        };
        for ext in tbs.extensions() {
            cert.extensions.push(Extension {
                oid: ext.oid.to_id_string(),
                critical: ext.critical,
                value: ext.value.to_vec(),
            });
            // The first occurrence wins for the typed fields (duplicates are kept raw above).
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) if cert.basic_constraints.is_none() => {
                    cert.basic_constraints = Some(BasicConstraints {
                        ca: bc.ca,
                        path_len: bc.path_len_constraint,
                        critical: ext.critical,
                    });
                }
                ParsedExtension::KeyUsage(ku) if cert.key_usage.is_none() => {
                    cert.key_usage = Some(KeyUsage(ku.flags));
                }
                ParsedExtension::ExtendedKeyUsage(_) if cert.extended_key_usage.is_empty() => {
                    cert.extended_key_usage = oid_sequence(ext.value);
                }
                ParsedExtension::SubjectKeyIdentifier(id) if cert.subject_key_id.is_none() => {
                    cert.subject_key_id = Some(id.0.to_vec());
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) if cert.authority_key_id.is_none() => {
                    cert.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                ParsedExtension::CRLDistributionPoints(points)
                    if cert.crl_distribution_points.is_empty() =>
                {
                    cert.crl_distribution_points = distribution_point_uris(points);
                }
                _ => {}
            }
        }
        Ok(cert)
    }
    /// Whether [`Cert::from_der`] accepts `der`, with the same error when it does not, at a
    /// fraction of the cost: the same parse without reading the extensions' contents (which
    /// never makes a certificate unparsable: x509-parser keeps an extension it cannot read as
    /// `ParseError`) and without building the owned fields. For data parsed later, on first use,
    /// whose every error should be known now (the roots of an operator's statement file; a
    /// BLOB's roots take the cheaper [`Cert::check_frame`]).
    pub fn check_der(der: &[u8]) -> Result<(), CertError> {
        parse_x509(der, false).map(|_| ())
    }
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// SHA-256 of the DER encoding (the fingerprint used for pins and reports, and the
    /// certificate's identity wherever two are compared). Taken with the signature BIT
    /// STRING's unused-bits octet as 0, which is the DER itself for every well-formed
    /// certificate: that octet is outside the signed bytes and the parser hands over the same
    /// signature whatever it says (early Yubico U2F attestation certificates really declare 2),
    /// so one signed certificate has one identity however that octet is set — an edited copy
    /// cannot pass for another certificate, e.g. to escape a compromised batch certificate.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
    /// The X.509 version, 1-based as people say it: `3` for a v3 certificate (DER value 2).
    pub fn version(&self) -> u32 {
        self.version
    }
    /// Serial number bytes as encoded (two's complement, may be negative).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }
    pub fn serial_hex(&self) -> String {
        hex::encode(&self.serial)
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn subject_raw(&self) -> &[u8] {
        &self.subject_raw
    }
    pub fn issuer_raw(&self) -> &[u8] {
        &self.issuer_raw
    }
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.basic_constraints
    }
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }
    pub fn extended_key_usage(&self) -> &[String] {
        &self.extended_key_usage
    }
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }
    pub fn crl_distribution_points(&self) -> &[String] {
        &self.crl_distribution_points
    }
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }
    pub fn extension(&self, oid: &str) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.oid == oid)
    }
    /// True when subject and issuer names are byte-identical.
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }
    /// The subject's attributes in order, as (dotted OID, value) pairs; a value that is not a
    /// string type reads as `""`. Parsed from the subject DER on each call (the attestation
    /// certificate requirements of packed and tpm read it once per statement).
    pub(crate) fn subject_attributes(&self) -> Result<Vec<(String, String)>, CertError> {
        let (_, name) = x509_parser::x509::X509Name::from_der(&self.subject_raw)
            .map_err(|e| CertError::MalformedSubject { detail: e.to_string() })?;
        Ok(name
            .iter_attributes()
            .map(|a| {
                (a.attr_type().to_id_string(), a.as_str().map(str::to_string).unwrap_or_default())
            })
            .collect())
    }
    /// The FIDO attestation certificate key identifier: lowercase hex of SHA-1 over the
    /// subjectPublicKey BIT STRING contents (MDS3 `attestationCertificateKeyIdentifiers`).
    pub fn fido_key_identifier(&self) -> String {
        hex::encode(crypto::sha1(&self.public_key_bits))
    }
    /// The subjectPublicKey BIT STRING contents.
    pub fn public_key_bits(&self) -> &[u8] {
        &self.public_key_bits
    }
    /// The signature scheme of `signatureAlgorithm`, `None` when mdsd does not support it or
    /// when it is not the same DER as `tbsCertificate.signature` (RFC 5280 §4.1.1.2).
    pub fn signature_scheme(&self) -> Option<SignatureScheme> {
        self.signature_scheme
    }
    /// The dotted OID of `signatureAlgorithm` (for reports on unsupported algorithms).
    pub fn signature_algorithm_oid(&self) -> &str {
        &self.signature_algorithm_oid
    }
    /// The DER of `tbsCertificate`.
    pub fn tbs(&self) -> &[u8] {
        &self.tbs
    }
    /// The signatureValue BIT STRING contents.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
    /// Verifies this certificate's signature with `issuer_key`.
    ///
    /// An unsupported signature algorithm is [`SignatureError::UnsupportedSignatureAlgorithm`]
    /// naming its OID.
    pub fn verify_signed_by(&self, issuer_key: &PublicKey) -> Result<(), SignatureError> {
        let scheme =
            self.signature_scheme.ok_or_else(|| SignatureError::UnsupportedSignatureAlgorithm {
                signed: "certificate",
                oid: self.signature_algorithm_oid.clone(),
            })?;
        issuer_key.verify(scheme, &self.tbs, &self.signature)
    }
}

/// The parse that decides whether bytes are a certificate (shared by [`Cert::from_der`] and
/// [`Cert::check_der`], so both accept and refuse the same input): bounded size, x509-parser's
/// DER parse (`deep`: also the extensions' contents), no trailing bytes.
fn parse_x509(der: &[u8], deep: bool) -> Result<X509Certificate<'_>, CertError> {
    use x509_parser::nom::Parser;
    if der.len() > MAX_CERT_LEN {
        return Err(CertError::TooLarge { len: der.len(), max: MAX_CERT_LEN });
    }
    let (rest, x509) = X509CertificateParser::new()
        .with_deep_parse_extensions(deep)
        .parse(der)
        .map_err(|e| CertError::Der { detail: e.to_string() })?;
    if !rest.is_empty() {
        return Err(CertError::TrailingBytes { count: rest.len() });
    }
    Ok(x509)
}

/// [`Cert::sha256`]: SHA-256 of `der` with the unused-bits octet of its signature BIT STRING
/// (the outer SEQUENCE's last member, so the octet at `len - content`) taken as 0.
fn canonical_sha256(der: &[u8]) -> [u8; 32] {
    use asn1_rs::{Any, FromDer as _};
    let unused_at = || -> Option<usize> {
        let (_, signed) = Any::from_der(der).ok()?;
        let mut rest = signed.data;
        let mut last = None;
        while !rest.is_empty() {
            let (next, member) = Any::from_der(rest).ok()?;
            last = Some(member);
            rest = next;
        }
        let signature = last?;
        // `signed.data` ends where `der` ends (trailing bytes are refused before this).
        (signature.header.tag() == asn1_rs::Tag::BitString)
            .then(|| der.len().checked_sub(signature.data.len()))
            .flatten()
    };
    match unused_at() {
        Some(at) if der.get(at).is_some_and(|&b| b != 0) => {
            let mut canonical = der.to_vec();
            if let Some(octet) = canonical.get_mut(at) {
                *octet = 0;
            }
            crypto::sha256(&canonical)
        }
        _ => crypto::sha256(der),
    }
}

/// Whether the outer signatureAlgorithm of a signed structure (certificate or CRL) is the same
/// DER as the `signature` field inside its tbs part (RFC 5280 §4.1.1.2, §5.1.1.2), inside an
/// outer SEQUENCE whose last member is a BIT STRING. The outer
/// one is not signed, so a lenient parse of it (x509-parser accepts a wrong tag for its OID)
/// must not be trusted on its own. The inner one is the first SEQUENCE of the tbs part (after
/// the optional version and, for certificates, the serial number).
pub(crate) fn algorithms_agree(der: &[u8]) -> bool {
    use asn1_rs::{Any, Class, FromDer as _, Tag};
    fn tlv(input: &[u8]) -> Option<(Any<'_>, &[u8], &[u8])> {
        let (rest, any) = Any::from_der(input).ok()?;
        Some((any, input.get(..input.len().checked_sub(rest.len())?)?, rest))
    }
    let raw = || -> Option<bool> {
        // The unsigned wrapper must be what RFC 5280 says it is, byte for byte: a constructed
        // universal SEQUENCE (0x30) around tbs, AlgorithmIdentifier and a BIT STRING (0x03).
        // x509-parser tolerates other tags there, which would let one signed object be
        // re-encoded in many accepted ways.
        if der.first() != Some(&0x30) {
            return Some(false);
        }
        let (signed, _, _) = tlv(der)?;
        let (tbs, _, after_tbs) = tlv(signed.data)?;
        let (_, outer, after_alg) = tlv(after_tbs)?;
        let (_, signature, _) = tlv(after_alg)?;
        if signature.first() != Some(&0x03) {
            return Some(false);
        }
        let mut rest = tbs.data;
        for _ in 0..3 {
            let (any, bytes, next) = tlv(rest)?;
            if any.header.class() == Class::Universal && any.header.tag() == Tag::Sequence {
                return Some(outer == bytes);
            }
            rest = next;
        }
        None
    };
    raw().unwrap_or(false)
}

/// Maps a signature AlgorithmIdentifier to a scheme (RFC 4055, RFC 5758, RFC 8410); `None` when
/// unsupported.
pub(crate) fn signature_scheme(alg: &AlgorithmIdentifier<'_>) -> Option<SignatureScheme> {
    use SignatureScheme::*;
    match alg.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => Some(RsaPkcs1Sha1),
        "1.2.840.113549.1.1.11" => Some(RsaPkcs1Sha256),
        "1.2.840.113549.1.1.12" => Some(RsaPkcs1Sha384),
        "1.2.840.113549.1.1.13" => Some(RsaPkcs1Sha512),
        "1.2.840.113549.1.1.10" => pss_scheme(alg),
        "1.2.840.10045.4.3.2" => Some(EcdsaSha256),
        "1.2.840.10045.4.3.3" => Some(EcdsaSha384),
        "1.2.840.10045.4.3.4" => Some(EcdsaSha512),
        "1.3.101.112" => Some(Ed25519),
        // ecdsa-with-SHA1 (1.2.840.10045.4.1), DSA, Ed448, ...: unsupported.
        _ => None,
    }
}

/// RSASSA-PSS (RFC 4055 §3.1): ring verifies MGF1 with the same hash and a salt as long as the
/// hash, so only those parameter sets map to a scheme.
fn pss_scheme(alg: &AlgorithmIdentifier<'_>) -> Option<SignatureScheme> {
    use x509_parser::signature_algorithm::SignatureAlgorithm;
    let Ok(SignatureAlgorithm::RSASSA_PSS(params)) = SignatureAlgorithm::try_from(alg) else {
        return None;
    };
    let hash = params.hash_algorithm_oid().to_id_string();
    let (scheme, len) = match hash.as_str() {
        "2.16.840.1.101.3.4.2.1" => (SignatureScheme::RsaPssSha256, 32),
        "2.16.840.1.101.3.4.2.2" => (SignatureScheme::RsaPssSha384, 48),
        "2.16.840.1.101.3.4.2.3" => (SignatureScheme::RsaPssSha512, 64),
        _ => return None,
    };
    let mgf = params.mask_gen_algorithm().ok()?;
    let mgf_ok =
        mgf.mgf.to_id_string() == "1.2.840.113549.1.1.8" && mgf.hash.to_id_string() == hash;
    let salt_ok = params.salt_length() == len;
    (mgf_ok && salt_ok).then_some(scheme)
}

/// A DER `SEQUENCE OF OBJECT IDENTIFIER` (extKeyUsage) as dotted strings; stops at the first
/// element that is not an OID.
fn oid_sequence(value: &[u8]) -> Vec<String> {
    use asn1_rs::{Oid, Sequence};
    let Ok((_, seq)) = Sequence::from_der(value) else {
        return Vec::new();
    };
    let mut input: &[u8] = &seq.content;
    let mut out = Vec::new();
    while !input.is_empty() && out.len() < 64 {
        match Oid::from_der(input) {
            Ok((rest, oid)) => {
                out.push(oid.to_id_string());
                input = rest;
            }
            Err(_) => break,
        }
    }
    out
}

/// The URIs of the fullName distribution points (RFC 5280 §4.2.1.13).
fn distribution_point_uris(points: &CRLDistributionPoints<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for point in points.iter() {
        if let Some(DistributionPointName::FullName(names)) = &point.distribution_point {
            for name in names {
                if let GeneralName::URI(uri) = name {
                    out.push((*uri).to_string());
                }
            }
        }
    }
    out
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cert")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial_hex())
            .field("sha256", &self.sha256_hex())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alg(der_hex: &str) -> Option<SignatureScheme> {
        let der = hex::decode(der_hex).unwrap();
        let (_, alg) = AlgorithmIdentifier::from_der(&der).unwrap();
        signature_scheme(&alg)
    }

    // RSASSA-PSS AlgorithmIdentifier with SHA-256, MGF1(SHA-256), salt 32 (RFC 4055 §3.1).
    const PSS_SHA256: &str = "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120";

    #[test]
    fn signature_algorithms_map_to_schemes() {
        use SignatureScheme::*;
        assert_eq!(alg("300d06092a864886f70d0101050500"), Some(RsaPkcs1Sha1));
        assert_eq!(alg("300d06092a864886f70d01010b0500"), Some(RsaPkcs1Sha256));
        assert_eq!(alg("300d06092a864886f70d01010c0500"), Some(RsaPkcs1Sha384));
        assert_eq!(alg("300d06092a864886f70d01010d0500"), Some(RsaPkcs1Sha512));
        assert_eq!(alg("300a06082a8648ce3d040302"), Some(EcdsaSha256));
        assert_eq!(alg("300a06082a8648ce3d040303"), Some(EcdsaSha384));
        assert_eq!(alg("300a06082a8648ce3d040304"), Some(EcdsaSha512));
        assert_eq!(alg("300506032b6570"), Some(Ed25519));
        // ecdsa-with-SHA1, ecdsa-with-SHA224, Ed448: unsupported.
        assert_eq!(alg("300906072a8648ce3d0401"), None);
        assert_eq!(alg("300a06082a8648ce3d040301"), None);
        assert_eq!(alg("300506032b6571"), None);
    }

    #[test]
    fn pss_parameters_must_match_what_ring_verifies() {
        assert_eq!(alg(PSS_SHA256), Some(SignatureScheme::RsaPssSha256));
        // Salt length 20 instead of 32.
        let salt20 = PSS_SHA256.replace("a203020120", "a203020114");
        assert_eq!(alg(&salt20), None);
        // MGF1 with SHA-384 while hashing with SHA-256.
        let idx = PSS_SHA256.rfind("608648016503040201").unwrap();
        let mut mgf384 = PSS_SHA256.to_string();
        mgf384.replace_range(idx..idx + 18, "608648016503040202");
        assert_eq!(alg(&mgf384), None);
        // All defaults (SHA-1, salt 20): not supported.
        assert_eq!(alg("300d06092a864886f70d01010a3000"), None);
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        assert!(matches!(
            Cert::from_der(&vec![0x30; MAX_CERT_LEN + 1]),
            Err(CertError::TooLarge { max: MAX_CERT_LEN, .. })
        ));
        assert!(matches!(Cert::from_der(&[0x30, 0x00]), Err(CertError::Der { .. })));
    }

    #[test]
    fn check_der_accepts_and_refuses_what_from_der_does() {
        let roots = crate::mds::builtin_roots();
        let good = roots[0].cert.der().to_vec();
        assert_eq!(Cert::check_der(&good), Ok(()));
        let mut cases: Vec<Vec<u8>> = vec![good.clone(), Vec::new(), vec![0x30, 0x00]];
        // Trailing bytes, truncations, and every single-byte corruption of the header and of
        // the end (extensions and signature).
        cases.push([good.as_slice(), &[0]].concat());
        for cut in [1, 10, good.len() / 2, good.len() - 1] {
            cases.push(good[..cut].to_vec());
        }
        for i in (0..12).chain(good.len() - 400..good.len()) {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= flip;
                cases.push(bad);
            }
        }
        cases.push(vec![0x30; MAX_CERT_LEN + 1]);
        let mut refused = 0;
        for der in &cases {
            let full = Cert::from_der(der).map(|_| ());
            assert_eq!(Cert::check_der(der), full, "{}", hex::encode(der));
            refused += usize::from(full.is_err());
        }
        assert!(refused > 10, "{refused}");
    }

    #[test]
    fn eku_oids_are_read_in_order() {
        // SEQUENCE { serverAuth, clientAuth, 2.23.133.8.3 }
        let der =
            hex::decode("301b06082b0601050507030106082b0601050507030206056781050803").unwrap();
        assert_eq!(oid_sequence(&der), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "2.23.133.8.3"]);
        assert!(oid_sequence(&[0x04, 0x00]).is_empty());
    }
}
