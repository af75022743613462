//! A test PKI built with rcgen at test time: roots, intermediates, leaves, cross-signed
//! certificates and CRLs, with every knob the negative tests need.
//!
//! Nothing here is stored: each test builds what it needs (keys are fresh, except RSA, which
//! uses the committed test-only key `data/rsa2048.pk8.pem` because ring cannot generate RSA
//! keys; made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`; the core's
//! unit tests include the same file).
//!
//! ```ignore
//! use mdsd_test_support::pki::{self, Spec};
//! let root = pki::root("Test Root");
//! let ca = pki::intermediate("Test CA", &root);
//! let leaf = pki::leaf("Test Leaf", &ca);
//! let crl = pki::crl(&ca, &[leaf.serial], pki::t(2024, 1, 1), pki::t(2026, 1, 1));
//! // leaf.pkcs8() → ring::signature::EcdsaKeyPair::from_pkcs8(...) to sign a JWS.
//! ```

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DistinguishedName, DnType, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber, SignatureAlgorithm,
};
use time::{Date, Month, OffsetDateTime, Time};

/// The committed test-only RSA-2048 key (PKCS#8 PEM).
pub const RSA2048_PKCS8_PEM: &str = include_str!("../data/rsa2048.pk8.pem");

/// Key algorithm of a generated certificate (the key also signs what it issues).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    /// ECDSA P-256, signs with ecdsa-with-SHA256.
    P256,
    /// ECDSA P-384, signs with ecdsa-with-SHA384.
    P384,
    /// RSA-2048 (the committed key), signs with sha256WithRSAEncryption.
    Rsa2048,
    /// Ed25519.
    Ed25519,
}

impl KeyAlg {
    pub fn rcgen(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlg::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlg::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlg::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
            KeyAlg::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    /// A fresh key pair (RSA: always the committed key).
    pub fn generate(self) -> KeyPair {
        match self {
            KeyAlg::Rsa2048 => {
                KeyPair::from_pkcs8_pem_and_sign_algo(RSA2048_PKCS8_PEM, self.rcgen()).unwrap()
            }
            _ => KeyPair::generate_for(self.rcgen()).unwrap(),
        }
    }
}

/// Midnight UTC of a date (for validity windows and CRL times).
pub fn t(year: i32, month: u8, day: u8) -> OffsetDateTime {
    Date::from_calendar_date(year, Month::try_from(month).unwrap(), day)
        .unwrap()
        .with_time(Time::MIDNIGHT)
        .assume_utc()
}

/// Everything that describes one certificate. Start from [`Spec::ca`] or [`Spec::leaf`] and
/// change fields.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Subject CN (the subject is `CN=<cn>, O=mdsd test` unless `dn` is set).
    pub cn: String,
    /// Full subject name instead of CN/O; `Some(vec![])` gives an empty subject.
    pub dn: Option<Vec<(DnType, String)>>,
    pub key: KeyAlg,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// basicConstraints: `IsCa::NoCa` (absent), `IsCa::ExplicitNoCa` (CA=false),
    /// `IsCa::Ca(BasicConstraints::Constrained(n))` / `Unconstrained`.
    pub ca: IsCa,
    /// keyUsage bits; empty = no keyUsage extension.
    pub key_usage: Vec<KeyUsagePurpose>,
    /// Extra extensions: (OID arcs, critical, DER value).
    pub extensions: Vec<(Vec<u64>, bool, Vec<u8>)>,
    /// CRL distribution point URL.
    pub crl_url: Option<String>,
    /// Serial number (positive).
    pub serial: u64,
}

impl Spec {
    /// A CA: P-256, valid 2020-01-01..2040-01-01, CA=true without path length, keyUsage
    /// keyCertSign + cRLSign.
    pub fn ca(cn: &str) -> Spec {
        Spec {
            cn: cn.to_string(),
            dn: None,
            key: KeyAlg::P256,
            not_before: t(2020, 1, 1),
            not_after: t(2040, 1, 1),
            ca: IsCa::Ca(BasicConstraints::Unconstrained),
            key_usage: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
            extensions: Vec::new(),
            crl_url: None,
            serial: next_serial(),
        }
    }

    /// An end-entity: P-256, valid 2020-01-01..2030-01-01, CA=false, keyUsage digitalSignature.
    pub fn leaf(cn: &str) -> Spec {
        Spec {
            ca: IsCa::ExplicitNoCa,
            key_usage: vec![KeyUsagePurpose::DigitalSignature],
            not_after: t(2030, 1, 1),
            ..Spec::ca(cn)
        }
    }

    pub fn key(mut self, key: KeyAlg) -> Spec {
        self.key = key;
        self
    }

    pub fn validity(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Spec {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    pub fn path_len(mut self, n: u8) -> Spec {
        self.ca = IsCa::Ca(BasicConstraints::Constrained(n));
        self
    }

    pub fn extension(mut self, oid: &[u64], critical: bool, der: &[u8]) -> Spec {
        self.extensions.push((oid.to_vec(), critical, der.to_vec()));
        self
    }

    pub fn crl_url(mut self, url: &str) -> Spec {
        self.crl_url = Some(url.to_string());
        self
    }

    fn params(&self) -> CertificateParams {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        match &self.dn {
            Some(parts) => {
                for (kind, value) in parts {
                    dn.push(kind.clone(), value.as_str());
                }
            }
            None => {
                dn.push(DnType::CommonName, self.cn.as_str());
                dn.push(DnType::OrganizationName, "mdsd test");
            }
        }
        params.distinguished_name = dn;
        params.not_before = self.not_before;
        params.not_after = self.not_after;
        params.is_ca = self.ca.clone();
        params.key_usages = self.key_usage.clone();
        params.serial_number = Some(SerialNumber::from(self.serial));
        params.use_authority_key_identifier_extension = true;
        params.key_identifier_method = KeyIdMethod::Sha256;
        params.crl_distribution_points = self
            .crl_url
            .iter()
            .map(|url| CrlDistributionPoint { uris: vec![url.clone()] })
            .collect();
        params.custom_extensions = self
            .extensions
            .iter()
            .map(|(oid, critical, der)| {
                let mut ext = CustomExtension::from_oid_content(oid, der.clone());
                ext.set_criticality(*critical);
                ext
            })
            .collect();
        params
    }
}

/// A generated certificate with its key.
pub struct Issued {
    pub spec: Spec,
    pub cert: rcgen::Certificate,
    pub key: KeyPair,
    pub der: Vec<u8>,
    pub serial: u64,
}

impl Issued {
    /// The private key as PKCS#8 DER (ring: `EcdsaKeyPair::from_pkcs8`, `RsaKeyPair::from_pkcs8`,
    /// `Ed25519KeyPair::from_pkcs8_maybe_unchecked`).
    pub fn pkcs8(&self) -> Vec<u8> {
        self.key.serialize_der()
    }

    /// The certificate parsed by mdsd.
    pub fn parsed(&self) -> Arc<mdsd_core::x509::Cert> {
        Arc::new(mdsd_core::x509::Cert::from_der(&self.der).unwrap())
    }

    /// The certificate as a trust anchor.
    pub fn anchor(&self) -> mdsd_core::x509::TrustAnchor {
        mdsd_core::x509::TrustAnchor { cert: self.parsed(), label: self.spec.cn.clone() }
    }

    /// The DER serial number as mdsd reports it (`Cert::serial`).
    pub fn serial_bytes(&self) -> Vec<u8> {
        self.parsed().serial().to_vec()
    }
}

/// Issues `spec` with a fresh key, signed by `issuer` (self-signed when `None`).
pub fn issue(spec: Spec, issuer: Option<&Issued>) -> Issued {
    let key = spec.key.generate();
    issue_with_key(spec, key, issuer)
}

/// Issues `spec` for an existing key (cross-signing, re-issuing).
pub fn issue_with_key(spec: Spec, key: KeyPair, issuer: Option<&Issued>) -> Issued {
    let params = spec.params();
    let cert = match issuer {
        Some(issuer) => params.signed_by(&key, &issuer.cert, &issuer.key).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    let der = cert.der().to_vec();
    Issued { serial: spec.serial, spec, cert, key, der }
}

/// A self-signed root CA (P-256).
pub fn root(cn: &str) -> Issued {
    issue(Spec::ca(cn), None)
}

/// An intermediate CA (P-256) issued by `issuer`.
pub fn intermediate(cn: &str, issuer: &Issued) -> Issued {
    issue(Spec::ca(cn), Some(issuer))
}

/// An end-entity certificate (P-256) issued by `issuer`.
pub fn leaf(cn: &str, issuer: &Issued) -> Issued {
    issue(Spec::leaf(cn), Some(issuer))
}

/// Re-issues `subject` (same name, same key, new serial) signed by `issuer`: a cross-signed
/// certificate such as "GlobalSign Root R46 issued by R3".
pub fn cross_sign(subject: &Issued, issuer: &Issued) -> Issued {
    // RSA certificates all share the committed key, so generate() returns the same key.
    let key = match subject.spec.key {
        KeyAlg::Rsa2048 => subject.spec.key.generate(),
        _ => KeyPair::try_from(subject.pkcs8().as_slice()).unwrap(),
    };
    let spec = Spec { serial: next_serial(), ..subject.spec.clone() };
    issue_with_key(spec, key, Some(issuer))
}

/// A CRL issued (and signed) by `issuer`, listing `revoked` serials (revoked at `this_update`).
pub fn crl(
    issuer: &Issued,
    revoked: &[u64],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Vec<u8> {
    crl_signed_with(issuer, &issuer.key, revoked, this_update, next_update)
}

/// A CRL naming `issuer` as its issuer but signed with `key` (a wrong key makes a forged CRL).
pub fn crl_signed_with(
    issuer: &Issued,
    key: &KeyPair,
    revoked: &[u64],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Vec<u8> {
    crl_full(issuer, key, revoked, this_update, next_update, None)
}

/// A CRL with an issuingDistributionPoint limiting its scope to user or CA certificates.
pub fn crl_scoped(
    issuer: &Issued,
    revoked: &[u64],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
    scope: rcgen::CrlScope,
) -> Vec<u8> {
    crl_full(issuer, &issuer.key, revoked, this_update, next_update, Some(scope))
}

fn crl_full(
    issuer: &Issued,
    key: &KeyPair,
    revoked: &[u64],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
    scope: Option<rcgen::CrlScope>,
) -> Vec<u8> {
    let params = CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: SerialNumber::from(next_serial()),
        issuing_distribution_point: scope.map(|scope| rcgen::CrlIssuingDistributionPoint {
            distribution_point: CrlDistributionPoint {
                uris: vec!["http://crl.example/scoped.crl".into()],
            },
            scope: Some(scope),
        }),
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from(*serial),
                revocation_time: this_update,
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params.signed_by(&issuer.cert, key).unwrap().der().to_vec()
}

/// Process-wide distinct serials (tests run in parallel threads).
pub fn next_serial() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x1000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
