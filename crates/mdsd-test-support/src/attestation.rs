//! Generators for WebAuthn registrations (packed, fido-u2f, apple, none, compound) signed by the
//! rcgen test PKI, with knobs for every negative case, and MDS trust stores with chosen entries.
//!
//! Use from a test file: `use mdsd_test_support::attestation as gen;`. Nothing is stored: keys
//! and certificates are fresh on every run.

use ciborium::Value;
use rcgen::{DnType, KeyPair};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::pki::{self, Issued, Spec};
use crate::{b64_std, b64url};

pub const RP_ID: &str = "example.org";
pub const ORIGIN: &str = "https://example.org";
pub const CHALLENGE: &[u8] = b"mdsd generated challenge 0123456";
pub const FLAGS_DEFAULT: u8 = 0x01 | 0x04 | 0x40; // UP | UV | AT
pub const OID_AAGUID: &[u64] = &[1, 3, 6, 1, 4, 1, 45724, 1, 1, 4];
pub const OID_APPLE_NONCE: &[u64] = &[1, 2, 840, 113635, 100, 8, 2];

/// Which format to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Packed,
    PackedSelf,
    FidoU2f,
    Apple,
    None,
    /// [packed (x5c), packed self].
    Compound,
}

/// Knobs for one generated registration. `Default` is a valid, trusted registration.
#[derive(Debug, Clone)]
pub struct Opts {
    pub flags: u8,
    pub aaguid: Uuid,
    /// The AAGUID put in the certificate extension (packed); `None`: the authData AAGUID.
    pub cert_aaguid: Option<Uuid>,
    /// Leave the AAGUID extension out (packed).
    pub no_aaguid_extension: bool,
    pub leaf_validity: Option<(OffsetDateTime, OffsetDateTime)>,
    /// Flip one byte of the statement signature (apple: of the nonce in the certificate).
    pub flip_sig: bool,
    /// Sign over the hash of different clientDataJSON than the one returned.
    pub sign_other_client_data: bool,
    /// Override the packed leaf subject OU.
    pub leaf_ou: Option<String>,
    /// Issue the packed leaf with CA=true.
    pub leaf_is_ca: bool,
    /// Mark the AAGUID extension critical (packed).
    pub aaguid_ext_critical: bool,
    /// Leave C out of the packed leaf subject.
    pub drop_country: bool,
    /// Key algorithm of the attestation leaf (fido-u2f, packed).
    pub leaf_key: Option<pki::KeyAlg>,
    /// apple: issue the credential certificate for another key than the credential's.
    pub apple_other_key: bool,
    /// fido-u2f: the AAGUID written into authenticatorData (a client rewriting the unsigned
    /// AAGUID); `None`: zero, as a client builds it.
    pub u2f_aaguid: Option<Uuid>,
    /// fido-u2f: the attestation certificate carries this AAGUID extension.
    pub u2f_cert_aaguid: Option<Uuid>,
    /// packed: extra extensions of the attestation leaf (OID arcs, critical, extnValue DER),
    /// e.g. the FIDO serial number of enterprise attestation.
    pub leaf_extensions: Vec<(Vec<u64>, bool, Vec<u8>)>,
    /// clientDataJSON fields.
    pub client_type: String,
    pub origin: String,
    pub challenge: Vec<u8>,
    pub rp_id: String,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            flags: FLAGS_DEFAULT,
            aaguid: Uuid::from_bytes([0x42; 16]),
            cert_aaguid: None,
            no_aaguid_extension: false,
            leaf_validity: None,
            flip_sig: false,
            sign_other_client_data: false,
            leaf_ou: None,
            leaf_is_ca: false,
            aaguid_ext_critical: false,
            drop_country: false,
            leaf_key: None,
            apple_other_key: false,
            u2f_aaguid: None,
            u2f_cert_aaguid: None,
            leaf_extensions: Vec::new(),
            client_type: "webauthn.create".into(),
            origin: ORIGIN.into(),
            challenge: CHALLENGE.to_vec(),
            rp_id: RP_ID.into(),
        }
    }
}

/// A generated registration and the PKI behind it.
pub struct Made {
    pub fmt: Fmt,
    pub attestation_object: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub auth_data: Vec<u8>,
    pub root: Issued,
    /// The attestation (or apple credential) certificate; `None` for none / self.
    pub leaf: Option<Issued>,
    pub aaguid: Uuid,
}

/// A fresh P-256 key: (rcgen key pair, uncompressed point 0x04‖x‖y).
pub fn p256_key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

/// ECDSA P-256 SHA-256 DER signature with a PKCS#8 key.
pub fn sign_p256(pkcs8: &[u8], message: &[u8]) -> Vec<u8> {
    sign_ec(pkcs8, message).1
}

/// ECDSA DER signature with a P-256 (ES256) or P-384 (ES384) PKCS#8 key: (COSE alg, sig).
pub fn sign_ec(pkcs8: &[u8], message: &[u8]) -> (i64, Vec<u8>) {
    let rng = SystemRandom::new();
    if let Ok(key) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng) {
        return (-7, key.sign(&rng, message).unwrap().as_ref().to_vec());
    }
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8, &rng).unwrap();
    (-35, key.sign(&rng, message).unwrap().as_ref().to_vec())
}

/// COSE_Key (EC2, ES256, P-256) for an uncompressed point.
pub fn cose_es256(point: &[u8]) -> Vec<u8> {
    assert_eq!(point.len(), 65);
    let i = |n: i64| Value::Integer(n.into());
    enc(&Value::Map(vec![
        (i(1), i(2)),
        (i(3), i(-7)),
        (i(-1), i(1)),
        (i(-2), Value::Bytes(point[1..33].to_vec())),
        (i(-3), Value::Bytes(point[33..].to_vec())),
    ]))
}

pub fn enc(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

pub fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data).as_ref().to_vec()
}

/// authenticatorData with attested credential data.
pub fn auth_data(
    rp_id: &str,
    flags: u8,
    aaguid: &Uuid,
    cred_id: &[u8],
    cose_key: &[u8],
) -> Vec<u8> {
    let mut out = sha256(rp_id.as_bytes());
    out.push(flags);
    out.extend_from_slice(&7u32.to_be_bytes());
    if flags & 0x40 != 0 {
        out.extend_from_slice(aaguid.as_bytes());
        out.extend_from_slice(&(cred_id.len() as u16).to_be_bytes());
        out.extend_from_slice(cred_id);
        out.extend_from_slice(cose_key);
    }
    out
}

pub fn client_data(type_: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    let c = b64url(challenge);
    format!(r#"{{"type":"{type_}","challenge":"{c}","origin":"{origin}","crossOrigin":false}}"#)
        .into_bytes()
}

pub fn attestation_object(fmt: &str, att_stmt: Value, auth_data: &[u8]) -> Vec<u8> {
    enc(&Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), att_stmt),
        (Value::Text("authData".into()), Value::Bytes(auth_data.to_vec())),
    ]))
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// The DER of the id-fido-gen-ce-aaguid extension value.
pub fn aaguid_ext(aaguid: &Uuid) -> Vec<u8> {
    let mut der = vec![0x04, 0x10];
    der.extend_from_slice(aaguid.as_bytes());
    der
}

/// A packed attestation leaf spec (§8.2.1 subject).
pub fn packed_leaf_spec(cn: &str, opts: &Opts) -> Spec {
    let ou = opts.leaf_ou.clone().unwrap_or_else(|| "Authenticator Attestation".into());
    let mut spec = Spec::leaf(cn);
    let mut dn = vec![
        (DnType::CountryName, "US".into()),
        (DnType::OrganizationName, "mdsd test vendor".into()),
        (DnType::OrganizationalUnitName, ou),
        (DnType::CommonName, cn.into()),
    ];
    if opts.drop_country {
        dn.remove(0);
    }
    spec.dn = Some(dn);
    if let Some(key) = opts.leaf_key {
        spec = spec.key(key);
    }
    if opts.leaf_is_ca {
        spec.ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    if let Some((nb, na)) = opts.leaf_validity {
        spec = spec.validity(nb, na);
    }
    if !opts.no_aaguid_extension {
        let aaguid = opts.cert_aaguid.unwrap_or(opts.aaguid);
        spec = spec.extension(OID_AAGUID, opts.aaguid_ext_critical, &aaguid_ext(&aaguid));
    }
    for (oid, critical, der) in &opts.leaf_extensions {
        spec = spec.extension(oid, *critical, der);
    }
    spec
}

fn flip(mut sig: Vec<u8>) -> Vec<u8> {
    let n = sig.len() / 2;
    sig[n] ^= 0x01;
    sig
}

/// Generates one registration of `fmt` under a fresh root (or `root` when given).
pub fn make(fmt: Fmt, opts: &Opts, root: Option<Issued>) -> Made {
    let root = root.unwrap_or_else(|| pki::root("mdsd test attestation root"));
    let cred = p256_key();
    let point = cred.public_key_raw().to_vec();
    let cose = cose_es256(&point);
    let cred_id = sha256(&point)[..16].to_vec();
    let aaguid = match fmt {
        Fmt::FidoU2f => opts.u2f_aaguid.unwrap_or_else(Uuid::nil),
        _ => opts.aaguid,
    };
    // fido-u2f: by default the flags a client builds from a U2F response (UP | AT: a U2F
    // device verifies no user); explicit flags are written as given.
    let flags = match fmt {
        Fmt::FidoU2f if opts.flags == FLAGS_DEFAULT => 0x01 | 0x40,
        _ => opts.flags,
    };
    let auth = auth_data(&opts.rp_id, flags, &aaguid, &cred_id, &cose);
    let client = client_data(&opts.client_type, &opts.challenge, &opts.origin);
    let signed_client = if opts.sign_other_client_data {
        client_data("webauthn.create", b"other", ORIGIN)
    } else {
        client.clone()
    };
    let cdh = sha256(&signed_client);
    let mut signed = auth.clone();
    signed.extend_from_slice(&cdh);
    let maybe_flip = |sig: Vec<u8>| if opts.flip_sig { flip(sig) } else { sig };

    let packed_x5c = |root: &Issued| {
        let leaf = pki::issue(packed_leaf_spec("mdsd packed batch", opts), Some(root));
        let (alg, sig) = sign_ec(&leaf.pkcs8(), &signed);
        let sig = maybe_flip(sig);
        let stmt = Value::Map(vec![
            (text("alg"), Value::Integer(alg.into())),
            (text("sig"), Value::Bytes(sig)),
            (text("x5c"), Value::Array(vec![Value::Bytes(leaf.der.clone())])),
        ]);
        (stmt, leaf)
    };
    let packed_self = || {
        let sig = maybe_flip(sign_p256(&cred.serialize_der(), &signed));
        Value::Map(vec![
            (text("alg"), Value::Integer((-7).into())),
            (text("sig"), Value::Bytes(sig)),
        ])
    };

    let (fmt_name, stmt, leaf) = match fmt {
        Fmt::Packed => {
            let (stmt, leaf) = packed_x5c(&root);
            ("packed", stmt, Some(leaf))
        }
        Fmt::PackedSelf => ("packed", packed_self(), None),
        Fmt::None => ("none", Value::Map(vec![]), None),
        Fmt::FidoU2f => {
            let mut spec = Spec::leaf("mdsd u2f batch");
            if let Some(key) = opts.leaf_key {
                spec = spec.key(key);
            }
            if let Some((nb, na)) = opts.leaf_validity {
                spec = spec.validity(nb, na);
            }
            if let Some(in_cert) = &opts.u2f_cert_aaguid {
                spec = spec.extension(OID_AAGUID, false, &aaguid_ext(in_cert));
            }
            let leaf = pki::issue(spec, Some(&root));
            let mut data = vec![0x00];
            data.extend_from_slice(&sha256(opts.rp_id.as_bytes()));
            data.extend_from_slice(&cdh);
            data.extend_from_slice(&cred_id);
            data.extend_from_slice(&point);
            let sig = maybe_flip(sign_p256(&leaf.pkcs8(), &data));
            let stmt = Value::Map(vec![
                (text("sig"), Value::Bytes(sig)),
                (text("x5c"), Value::Array(vec![Value::Bytes(leaf.der.clone())])),
            ]);
            ("fido-u2f", stmt, Some(leaf))
        }
        Fmt::Apple => {
            let mut nonce = sha256(&signed);
            if opts.flip_sig {
                nonce[0] ^= 1;
            }
            let mut ext = vec![0x30, 0x24, 0xa1, 0x22, 0x04, 0x20];
            ext.extend_from_slice(&nonce);
            let mut spec =
                Spec::leaf("mdsd apple credential").extension(OID_APPLE_NONCE, false, &ext);
            if let Some((nb, na)) = opts.leaf_validity {
                spec = spec.validity(nb, na);
            }
            let key = if opts.apple_other_key { p256_key() } else { cred };
            let leaf = pki::issue_with_key(spec, key, Some(&root));
            let stmt = Value::Map(vec![
                (text("alg"), Value::Integer((-7).into())),
                (text("x5c"), Value::Array(vec![Value::Bytes(leaf.der.clone())])),
            ]);
            let ao = attestation_object("apple", stmt, &auth);
            return Made {
                attestation_object: ao,
                client_data_json: client,
                auth_data: auth,
                root,
                leaf: Some(leaf),
                aaguid,
                fmt,
            };
        }
        Fmt::Compound => {
            let (first, leaf) = packed_x5c(&root);
            let wrap = |fmt: &str, stmt: Value| {
                Value::Map(vec![(text("fmt"), text(fmt)), (text("attStmt"), stmt)])
            };
            let stmt = Value::Array(vec![wrap("packed", first), wrap("packed", packed_self())]);
            ("compound", stmt, Some(leaf))
        }
    };
    Made {
        attestation_object: attestation_object(fmt_name, stmt, &auth),
        client_data_json: client,
        auth_data: auth,
        root,
        leaf,
        aaguid,
        fmt,
    }
}

/// One MDS entry JSON for an authenticator.
pub struct EntrySpec<'a> {
    pub aaguid: Option<Uuid>,
    pub key_identifiers: Vec<String>,
    pub description: &'a str,
    pub roots: Vec<&'a Issued>,
    /// (status, effectiveDate, certificate DER).
    pub status: Vec<(&'a str, &'a str, Option<Vec<u8>>)>,
    pub mdcs: Option<&'a str>,
    /// metadataStatement.attestationTypes.
    pub attestation_types: Vec<&'a str>,
    /// metadataStatement.authenticationAlgorithms (left out when empty).
    pub algorithms: Vec<&'a str>,
}

impl<'a> EntrySpec<'a> {
    pub fn new(aaguid: Option<Uuid>, description: &'a str, roots: Vec<&'a Issued>) -> Self {
        EntrySpec {
            aaguid,
            key_identifiers: Vec::new(),
            description,
            roots,
            status: vec![("FIDO_CERTIFIED_L1", "2020-01-01", None)],
            mdcs: None,
            attestation_types: vec!["basic_full"],
            algorithms: Vec::new(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        let mut statement = serde_json::json!({
            "description": self.description,
            "attestationTypes": self.attestation_types,
            "attestationRootCertificates": self.roots.iter().map(|r| b64_std(&r.der)).collect::<Vec<_>>(),
            // A FIDO2 key with a PIN and discoverable credentials (what Entra's enforcement
            // reads): userVerificationDetails and authenticatorGetInfo as in the real BLOBs.
            "userVerificationDetails": [[{"userVerificationMethod": "passcode_external"}],
                                        [{"userVerificationMethod": "presence_internal"}]],
            "authenticatorGetInfo": {"versions": ["FIDO_2_0"],
                                     "options": {"rk": true, "up": true, "clientPin": true}},
        });
        if !self.algorithms.is_empty() {
            statement["authenticationAlgorithms"] = self.algorithms.clone().into();
        }
        if let Some(m) = self.mdcs {
            statement["multiDeviceCredentialSupport"] = m.into();
        }
        let reports: Vec<serde_json::Value> = self
            .status
            .iter()
            .map(|(s, d, c)| {
                let mut r = serde_json::json!({"status": s, "effectiveDate": d});
                if let Some(c) = c {
                    r["certificate"] = b64_std(c).into();
                }
                r
            })
            .collect();
        let mut entry = serde_json::json!({
            "metadataStatement": statement,
            "statusReports": reports,
            "timeOfLastStatusChange": "2020-01-01",
        });
        if let Some(a) = self.aaguid {
            entry["aaguid"] = a.to_string().into();
        }
        if !self.key_identifiers.is_empty() {
            entry["attestationCertificateKeyIdentifiers"] = self.key_identifiers.clone().into();
        }
        entry
    }
}

/// A trust store (BLOB `no` given) with the given entries, built by the MDS payload parser.
pub fn store(no: u64, entries: &[EntrySpec<'_>]) -> mdsd_core::trust_store::TrustStore {
    let payload = serde_json::json!({
        "legalHeader": "test",
        "no": no,
        "nextUpdate": "2030-01-01",
        "entries": entries.iter().map(|e| e.json()).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&payload).unwrap();
    let parsed =
        mdsd_core::mds::parse_payload(&bytes, &mdsd_core::mds::PayloadLimits::default()).unwrap();
    assert!(parsed.quarantined.is_empty(), "{:?}", parsed.quarantined);
    parsed.store
}
