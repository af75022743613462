//! Certificate revocation lists (RFC 5280 §5): parsed once, checked against a verified path.

use std::sync::Arc;

use thiserror::Error;
use time::OffsetDateTime;

use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::cert::{signature_scheme, Cert, KeyUsage};
use super::path::VerifiedPath;
use crate::crypto::{PublicKey, SignatureError, SignatureScheme};

/// A parsed CRL. The signature is checked by [`check_revocation`] against the issuer it claims;
/// an unsupported signature algorithm is reported there (as a bad signature naming the OID), not
/// at parse time, so one odd CRL in a bundle does not hide the others.
#[derive(Debug, Clone)]
pub struct Crl {
    pub(crate) der: Vec<u8>,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) issuer: String,
    pub(crate) this_update: OffsetDateTime,
    pub(crate) next_update: Option<OffsetDateTime>,
    /// Revoked serials (as encoded) with their revocation dates.
    pub(crate) revoked: Vec<(Vec<u8>, OffsetDateTime)>,
    pub(crate) tbs: Vec<u8>,
    pub(crate) signature_algorithm_oid: String,
    pub(crate) signature: Vec<u8>,
    pub(crate) crl_number: Option<Vec<u8>>,
    /// `None` when the CRL's signature algorithm is not supported.
    pub(crate) signature_scheme: Option<SignatureScheme>,
    /// issuingDistributionPoint onlyContainsUserCerts (RFC 5280 §5.2.5).
    pub(crate) only_user_certs: bool,
    /// issuingDistributionPoint onlyContainsCACerts.
    pub(crate) only_ca_certs: bool,
}

/// Largest CRL accepted (the GlobalSign EV CRL with 207 entries is 9 KiB).
pub const MAX_CRL_LEN: usize = 16 * 1024 * 1024;

/// Why bytes are not a usable CRL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CrlError {
    /// More than `MAX_CRL_LEN` (16 MiB) bytes.
    #[error("CRL of {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    /// PEM input whose armour does not parse (the pem crate's words).
    #[error("CRL PEM does not parse: {detail}")]
    Pem { detail: String },
    /// PEM input without an `X509 CRL` block.
    #[error("no X509 CRL PEM block")]
    NoCrlBlock,
    /// Not a DER `CertificateList` (RFC 5280 §5.1; x509-parser's words).
    #[error("not a DER X.509 CRL: {detail}")]
    Der { detail: String },
    /// A DER CRL followed by other bytes.
    #[error("{count} trailing bytes after the CRL")]
    TrailingBytes { count: usize },
    /// A CRL kind mdsd does not process. Accepting one without processing it could hide a
    /// revocation, so it is refused at parse time.
    #[error("unsupported CRL: {0}")]
    Unsupported(UnsupportedCrl),
}

/// The CRL kinds refused by [`Crl::from_pem_or_der`] (RFC 5280 §5.2, §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UnsupportedCrl {
    /// deltaCRLIndicator (§5.2.4): a delta needs the complete CRL it patches.
    #[error("delta CRL (deltaCRLIndicator)")]
    Delta,
    /// issuingDistributionPoint indirectCRL (§5.2.5).
    #[error("indirect CRL")]
    Indirect,
    /// A certificateIssuer entry extension (§5.3.3) makes the CRL indirect.
    #[error("indirect CRL (certificateIssuer)")]
    IndirectEntry,
    /// issuingDistributionPoint onlySomeReasons (§5.2.5).
    #[error("CRL partitioned by reason")]
    PartitionedByReason,
    /// issuingDistributionPoint onlyContainsAttributeCerts (§5.2.5).
    #[error("CRL for attribute certificates")]
    AttributeCertificates,
    /// A critical CRL extension mdsd does not process (§5.2).
    #[error("critical CRL extension {oid}")]
    CriticalExtension { oid: String },
    /// A critical CRL entry extension mdsd does not process (§5.3).
    #[error("critical CRL entry extension {oid}")]
    CriticalEntryExtension { oid: String },
}

/// How missing or stale revocation information is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationMode {
    /// Every non-anchor certificate of the path needs a current, correctly signed CRL that does
    /// not list it (MDS3 §3.2 step 2). The default.
    Require,
    /// `danger_skip_revocation`: no CRL checks at all. Callers must log this loudly.
    DangerSkip,
}

/// Why a path failed revocation checking (RFC 5280 §6.3; MDS3 §3.2 step 2).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RevocationError {
    #[error("certificate {subject} (serial {serial}) is revoked since {revoked_at} by the CRL of {issuer}")]
    Revoked { subject: String, serial: String, issuer: String, revoked_at: OffsetDateTime },
    #[error("no CRL from {issuer} is available for {subject} (serial {serial}); distribution points: {distribution_points:?}")]
    Missing { subject: String, serial: String, issuer: String, distribution_points: Vec<String> },
    #[error("the CRL of {issuer} is not current at {now}: thisUpdate {this_update}, nextUpdate {next_update:?}")]
    Stale {
        issuer: String,
        this_update: OffsetDateTime,
        next_update: Option<OffsetDateTime>,
        now: OffsetDateTime,
    },
    /// RFC 5280 §6.3.3 (f): the CRL's signature does not verify with the key of the issuer it
    /// names (or its algorithm is unsupported:
    /// [`SignatureError::UnsupportedSignatureAlgorithm`] names the OID).
    #[error("the CRL claiming issuer {issuer} is not signed by that issuer: {reason}")]
    BadSignature { issuer: String, reason: SignatureError },
    /// RFC 5280 §6.3.3 (f), §4.2.1.3: the issuer's certificate (`signer`, its subject) has a
    /// keyUsage without cRLSign, so no CRL it signs is accepted.
    #[error(
        "the CRL claiming issuer {issuer} is not signed by that issuer: {signer} has keyUsage \
         without cRLSign"
    )]
    IssuerKeyUsage { issuer: String, signer: String },
}

impl Crl {
    /// Parses one CRL from DER or PEM (`X509 CRL` block).
    ///
    /// Refuses, as [`CrlError::Unsupported`], the CRL kinds listed there.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Crl, CrlError> {
        if bytes.len() > MAX_CRL_LEN {
            return Err(CrlError::TooLarge { len: bytes.len(), max: MAX_CRL_LEN });
        }
        const PEM_MARKER: &[u8] = b"-----BEGIN";
        if bytes.windows(PEM_MARKER.len()).any(|w| w == PEM_MARKER) {
            let blocks =
                pem::parse_many(bytes).map_err(|e| CrlError::Pem { detail: e.to_string() })?;
            let block =
                blocks.iter().find(|b| b.tag() == "X509 CRL").ok_or(CrlError::NoCrlBlock)?;
            return Self::from_der(block.contents());
        }
        Self::from_der(bytes)
    }

    fn from_der(der: &[u8]) -> Result<Crl, CrlError> {
        let (rest, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| CrlError::Der { detail: e.to_string() })?;
        if !rest.is_empty() {
            return Err(CrlError::TrailingBytes { count: rest.len() });
        }
        let tbs = &crl.tbs_cert_list;
        let mut crl_number = None;
        let mut only_user_certs = false;
        let mut only_ca_certs = false;
        for ext in tbs.extensions() {
            let oid = ext.oid.to_id_string();
            match ext.parsed_extension() {
                ParsedExtension::CRLNumber(_) => {
                    crl_number = Some(der_integer_contents(ext.value));
                }
                // RFC 5280 §5.2.4: delta CRLs need the complete CRL they patch.
                _ if oid == "2.5.29.27" => {
                    return Err(CrlError::Unsupported(UnsupportedCrl::Delta));
                }
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    if idp.indirect_crl {
                        return Err(CrlError::Unsupported(UnsupportedCrl::Indirect));
                    }
                    if idp.only_some_reasons.is_some() {
                        return Err(CrlError::Unsupported(UnsupportedCrl::PartitionedByReason));
                    }
                    if idp.only_contains_attribute_certs {
                        return Err(CrlError::Unsupported(UnsupportedCrl::AttributeCertificates));
                    }
                    only_user_certs = idp.only_contains_user_certs;
                    only_ca_certs = idp.only_contains_ca_certs;
                }
                // authorityKeyIdentifier (§5.2.1) and non-critical others: informational.
                _ if ext.critical && oid != "2.5.29.35" => {
                    return Err(CrlError::Unsupported(UnsupportedCrl::CriticalExtension { oid }));
                }
                _ => {}
            }
        }
        let mut revoked = Vec::with_capacity(tbs.revoked_certificates.len());
        for entry in &tbs.revoked_certificates {
            for ext in entry.extensions() {
                let oid = ext.oid.to_id_string();
                // RFC 5280 §5.3.3: certificateIssuer makes the CRL indirect.
                if oid == "2.5.29.29" {
                    return Err(CrlError::Unsupported(UnsupportedCrl::IndirectEntry));
                }
                // reasonCode (§5.3.1) and invalidityDate (§5.3.2) are informational.
                if ext.critical && oid != "2.5.29.21" && oid != "2.5.29.24" {
                    return Err(CrlError::Unsupported(UnsupportedCrl::CriticalEntryExtension {
                        oid,
                    }));
                }
            }
            revoked.push((entry.raw_serial().to_vec(), entry.revocation_date.to_datetime()));
        }
        Ok(Crl {
            der: der.to_vec(),
            issuer_raw: tbs.issuer.as_raw().to_vec(),
            issuer: tbs.issuer.to_string(),
            this_update: tbs.this_update.to_datetime(),
            next_update: tbs.next_update.map(|t| t.to_datetime()),
            revoked,
            tbs: tbs.as_ref().to_vec(),
            signature_algorithm_oid: crl.signature_algorithm.algorithm.to_id_string(),
            // RFC 5280 §5.1.1.2: signatureAlgorithm is the same DER as tbsCertList.signature.
            signature_scheme: signature_scheme(&crl.signature_algorithm)
                .filter(|_| super::cert::algorithms_agree(der)),
            signature: crl.signature_value.data.to_vec(),
            crl_number,
            only_user_certs,
            only_ca_certs,
        })
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The issuer Name as DER (compared byte-wise with certificates' issuer names).
    pub fn issuer_raw(&self) -> &[u8] {
        &self.issuer_raw
    }
    pub fn this_update(&self) -> OffsetDateTime {
        self.this_update
    }
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.next_update
    }
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// True when the serial is listed (serials compare as encoded integers).
    pub fn lists(&self, serial: &[u8]) -> bool {
        self.revoked_at(serial).is_some()
    }
    /// When `serial` was revoked, if this CRL lists it.
    pub fn revoked_at(&self, serial: &[u8]) -> Option<OffsetDateTime> {
        let wanted = minimal_integer(serial);
        self.revoked.iter().find(|(s, _)| minimal_integer(s) == wanted).map(|(_, at)| *at)
    }
    /// Number of revoked entries.
    pub fn revoked_count(&self) -> usize {
        self.revoked.len()
    }
    /// The cRLNumber INTEGER contents, when present.
    pub fn crl_number(&self) -> Option<&[u8]> {
        self.crl_number.as_deref()
    }
    /// True when `thisUpdate <= now < nextUpdate` (RFC 5280 §6.3.3 (a)(2)); a CRL without
    /// nextUpdate is never current (conforming CAs must include it, §5.1.2.5).
    pub fn is_current(&self, now: OffsetDateTime) -> bool {
        match self.next_update {
            Some(next) => self.this_update <= now && now < next,
            None => false,
        }
    }
    /// Verifies the CRL's signature with `issuer_key`.
    pub fn verify_signed_by(&self, issuer_key: &PublicKey) -> Result<(), SignatureError> {
        let scheme =
            self.signature_scheme.ok_or_else(|| SignatureError::UnsupportedSignatureAlgorithm {
                signed: "CRL",
                oid: self.signature_algorithm_oid.clone(),
            })?;
        issuer_key.verify(scheme, &self.tbs, &self.signature)
    }
    /// Whether this CRL's scope (issuingDistributionPoint) covers `cert`.
    fn covers(&self, cert: &Cert) -> bool {
        let is_ca = cert.basic_constraints().is_some_and(|bc| bc.ca);
        if is_ca {
            !self.only_user_certs
        } else {
            !self.only_ca_certs
        }
    }
}

/// Checks every certificate of `path.chain` (leaf and intermediates; the anchor is trusted out of
/// band) against the CRLs of its issuer at `now`.
///
/// For each certificate: a CRL whose issuer name equals the certificate's issuer and whose
/// signature verifies with the issuer's key must exist, have `thisUpdate <= now < nextUpdate`,
/// and not list the serial. With several matching CRLs, the newest current one decides. CRLs that
/// do not match any issuer are ignored.
///
/// Details (RFC 5280 §6.3.3): the CRL's issuer must have cRLSign when it has a keyUsage
/// extension (else the CRL counts as badly signed, [`RevocationError::IssuerKeyUsage`]); a CRL
/// whose issuingDistributionPoint scope excludes the certificate (user-only / CA-only) does not
/// count. Certificates equal to the anchor (a leaf that is itself the anchor) are not checked.
/// The error for a certificate is, by priority: no correctly signed CRL at all →
/// [`RevocationError::BadSignature`] (or [`RevocationError::IssuerKeyUsage`]) for the first
/// name-matching CRL that failed its signature check, else [`RevocationError::Missing`]; no
/// current one → [`RevocationError::Stale`] for the newest; listed → [`RevocationError::Revoked`].
pub fn check_revocation(
    path: &VerifiedPath,
    crls: &[Arc<Crl>],
    now: OffsetDateTime,
    mode: RevocationMode,
) -> Result<(), RevocationError> {
    check_revocation_with(path, crls, now, mode).map(|_| ())
}

/// As [`check_revocation`], returning the CRL that decided for each checked certificate, in
/// chain order (leaf first; none with [`RevocationMode::DangerSkip`]). Their nextUpdate is when
/// the chain can no longer be checked without fresher CRLs.
pub fn check_revocation_with(
    path: &VerifiedPath,
    crls: &[Arc<Crl>],
    now: OffsetDateTime,
    mode: RevocationMode,
) -> Result<Vec<Arc<Crl>>, RevocationError> {
    let mut used = Vec::new();
    if mode == RevocationMode::DangerSkip {
        return Ok(used);
    }
    for (i, cert) in path.chain.iter().enumerate() {
        if cert.sha256() == path.anchor.sha256() {
            continue;
        }
        let issuer = path.chain.get(i + 1).unwrap_or(&path.anchor);
        used.push(check_one(cert, issuer, crls, now)?);
    }
    Ok(used)
}

fn check_one(
    cert: &Cert,
    issuer: &Cert,
    crls: &[Arc<Crl>],
    now: OffsetDateTime,
) -> Result<Arc<Crl>, RevocationError> {
    let mut bad_signature = None;
    let mut newest_verified: Option<&Arc<Crl>> = None;
    let mut newest_current: Option<&Arc<Crl>> = None;
    for crl in crls.iter().filter(|c| c.issuer_raw == cert.issuer_raw() && c.covers(cert)) {
        // RFC 5280 §6.3.3 (f): the CRL issuer's key verifies it and may sign CRLs.
        let verified = match issuer.key_usage() {
            Some(ku) if !ku.has(KeyUsage::CRL_SIGN) => Err(RevocationError::IssuerKeyUsage {
                issuer: crl.issuer.clone(),
                signer: issuer.subject().to_string(),
            }),
            _ => crl.verify_signed_by(issuer.public_key()).map_err(|reason| {
                RevocationError::BadSignature { issuer: crl.issuer.clone(), reason }
            }),
        };
        if let Err(error) = verified {
            bad_signature.get_or_insert(error);
            continue;
        }
        if newest_verified.is_none_or(|n| crl.this_update > n.this_update) {
            newest_verified = Some(crl);
        }
        // RFC 5280 §6.3.3 (a)(2): current at `now`.
        if crl.is_current(now) && newest_current.is_none_or(|n| crl.this_update > n.this_update) {
            newest_current = Some(crl);
        }
    }
    let Some(crl) = newest_current else {
        return Err(match (newest_verified, bad_signature) {
            (Some(stale), _) => RevocationError::Stale {
                issuer: stale.issuer.clone(),
                this_update: stale.this_update,
                next_update: stale.next_update,
                now,
            },
            (None, Some(bad)) => bad,
            (None, None) => RevocationError::Missing {
                subject: cert.subject().to_string(),
                serial: cert.serial_hex(),
                issuer: cert.issuer().to_string(),
                distribution_points: cert.crl_distribution_points().to_vec(),
            },
        });
    };
    // RFC 5280 §6.3.3 (i): the serial is listed.
    if let Some(revoked_at) = crl.revoked_at(cert.serial()) {
        return Err(RevocationError::Revoked {
            subject: cert.subject().to_string(),
            serial: cert.serial_hex(),
            issuer: crl.issuer.clone(),
            revoked_at,
        });
    }
    Ok(crl.clone())
}

/// A DER INTEGER's value bytes in minimal two's-complement form (redundant leading 0x00 /
/// 0xff removed), so serials compare as integers.
fn minimal_integer(bytes: &[u8]) -> &[u8] {
    let mut b = bytes;
    while let [first, second, ..] = b {
        let redundant =
            (*first == 0x00 && second & 0x80 == 0) || (*first == 0xff && second & 0x80 != 0);
        if !redundant {
            break;
        }
        b = b.get(1..).unwrap_or_default();
    }
    b
}

/// The contents of a DER INTEGER (extnValue of cRLNumber), or the bytes as given if they are
/// not one.
fn der_integer_contents(value: &[u8]) -> Vec<u8> {
    match asn1_rs::Integer::from_der(value) {
        Ok((_, int)) => int.as_ref().to_vec(),
        Err(_) => value.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_as_integers() {
        assert_eq!(minimal_integer(&[0x00, 0x80]), &[0x00, 0x80]);
        assert_eq!(minimal_integer(&[0x00, 0x00, 0x7f]), &[0x7f]);
        assert_eq!(minimal_integer(&[0xff, 0xff, 0x80]), &[0x80]);
        assert_eq!(minimal_integer(&[0xff, 0x7f]), &[0xff, 0x7f]);
        assert_eq!(minimal_integer(&[0x00]), &[0x00]);
        assert_eq!(minimal_integer(&[]), &[] as &[u8]);
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = vec![0x30; MAX_CRL_LEN + 1];
        assert!(matches!(Crl::from_pem_or_der(&big), Err(CrlError::TooLarge { .. })));
    }
}
