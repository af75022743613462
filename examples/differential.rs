//! mdsd's side of the differential run of trust verdicts (scripts/peers/differential/): writes
//! the cases every tool judges (the shared vectors plus adversarial cases generated here from
//! real vectors) and prints mdsd's verdict on each, one JSON object per line.
//!
//! ```text
//! differential --vectors vectors.json --blob B.jwt --crl F [--crl F ...] --blob-at T \
//!              [--anchor CERT ...] --cases-out cases.json
//! ```
//!
//! - The trust store: `mds::verify_blob` on `--blob` with the `--crl`s at `--blob-at` (the same
//!   as examples/peer_inputs.rs); `--anchor` (PEM or DER, repeatable) are operator extra anchors
//!   (run.sh passes SimpleWebAuthn's built-in Apple / Google / GlobalSign attestation roots, so
//!   that mdsd and SimpleWebAuthn start from the same roots).
//! - Each case: `Verifier::verify_registration`, bytes in, with the case's challenge, origin and
//!   RP ID (UP required, UV not), at the case's `valid_at` (2024-06-01 when it has none).
//! - `--cases-out`: every case (the vectors' fields, plus `source`, `base`, `mutation`,
//!   `expected_trust` for the generated ones), so that the peers judge exactly the same bytes.
//! - The verdict is read from `AttestationResult::to_json()` only (and copied whole into `raw`),
//!   so this example keeps compiling and reports new fields when the result grows.
//!
//! The adversarial cases (ids `adv-…`) change only what the attestation signature does not cover
//! (../shared/REFERENCE.md §2): fido-u2f authData AAGUID, flags and signCount; x5c beyond the
//! certificate that signs (packed and fido-u2f); `none` authData. The CBOR is decoded and
//! re-encoded with ciborium; everything else is the real vector's bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ciborium::Value as Cbor;
use mdsd::attestation::{Expectations, RegistrationInput, Verifier, VerifierOptions};
use mdsd::mds::{builtin_roots, verify_blob, BlobVerifyOptions};
use mdsd::x509::{certs_from_pem_or_der, Cert, Crl, TrustAnchor};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The time for vectors without `valid_at` (none / self attestation: no certificates).
const DEFAULT_AT: &str = "2024-06-01T00:00:00Z";

/// fido-u2f vectors from real YubiKeys (attestation certificates issued by Yubico U2F Root CA
/// Serial 457200631, which is also the root of the FIDO2 YubiKey entries).
const U2F_YUBIKEYS: &[&str] = &[
    "py_webauthn-fido-u2f-verify-attestation-from-yubikey-firefox",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKeyNeo",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey4",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey5NfcPost5cNfc",
    "java-webauthn-server-fido-u2f-RealExamples-YubiKey5cNfc",
    "java-webauthn-server-fido-u2f-RealExamples-SecurityKey",
    "java-webauthn-server-fido-u2f-RealExamples-SecurityKeyNfc",
];
/// The fido-u2f vector the single-field mutations start from.
const U2F_ONE: &str = "py_webauthn-fido-u2f-verify-attestation-from-yubikey-firefox";
/// A fido-u2f YubiKey whose attestation certificate's key identifier is not in the 2024-12 BLOB.
const U2F_UNLISTED: &str = "java-webauthn-server-fido-u2f-RealExamples-SecurityKeyNfc";
/// A packed YubiKey 5 NFC (AAGUID fa2b99dc-…, listed).
const PACKED_YK5: &str = "java-webauthn-server-packed-RealExamples-YubiKey5Nfc";
/// A packed YubiKey 5 FIPS with NFC: its attestation certificate is the "listed certificate"
/// appended to other statements (its key identifier is in the BLOB's U2F entry of that model).
const PACKED_FIPS: &str = "java-webauthn-server-packed-RealExamples-YubikeyFips5Nfc";
/// A none vector (its authData is not signed by anything).
const NONE_ONE: &str = "w3c-none-es256";
/// The FIDO2 model whose AAGUID is written into fido-u2f authData (found in the BLOB by this
/// exact description; its attestation root is the Yubico U2F root).
const TARGET_MODEL: &str = "YubiKey 5 FIPS Series";
/// Another vendor's listed model, whose attestation root is appended to a packed x5c.
const OTHER_MODEL: &str = "Google Titan Security Key v2";

const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;

fn main() {
    let args = Args::parse(&std::env::args().skip(1).collect::<Vec<_>>());
    let vectors: Vec<Value> = serde_json::from_slice(&read(args.get("vectors"))).unwrap();
    let blob = read(args.get("blob"));
    let mut opts = BlobVerifyOptions::new(builtin_roots());
    opts.crls =
        args.all("crl").map(|f| Arc::new(Crl::from_pem_or_der(&read(f)).unwrap())).collect();
    let store = verify_blob(&blob, &opts, at(args.get("blob-at"))).unwrap().store;
    let payload = blob_payload(&blob);

    let mut cases: Vec<Value> = vectors
        .iter()
        .map(|v| {
            let mut c = v.clone();
            c["source"] = json!("shared");
            c
        })
        .collect();
    cases.extend(adversarial(&vectors, &payload));
    std::fs::write(args.get("cases-out"), serde_json::to_vec_pretty(&cases).unwrap()).unwrap();

    let mut anchors = Vec::new();
    for path in args.all("anchor") {
        for cert in certs_from_pem_or_der(&read(path)).unwrap() {
            let label = std::path::Path::new(path).file_name().unwrap().to_string_lossy();
            anchors.push(TrustAnchor { cert: Arc::new(cert), label: label.to_string() });
        }
    }
    let verifier = Verifier::new(VerifierOptions { extra_anchors: anchors, ..Default::default() });
    let verify = |input: &RegistrationInput<'_>, now: OffsetDateTime| {
        verifier.verify_registration(input, Some(&store), now).to_json()
    };
    for case in &cases {
        println!("{}", judge(&verify, case));
    }
}

/// `Verifier::verify_registration(..).to_json()` against the trust store.
type Verify<'a> = dyn Fn(&RegistrationInput<'_>, OffsetDateTime) -> Value + 'a;

/// mdsd's verdict on one case, in the shape every runner prints.
fn judge(verify: &Verify<'_>, case: &Value) -> Value {
    let s = |k: &str| case[k].as_str().map(str::to_string);
    let ao = b64(&s("attestationObject_b64url").unwrap_or_default());
    let cdj = b64(&s("clientDataJSON_b64url").unwrap_or_default());
    let expectations = Expectations {
        rp_id: s("rpId"),
        origins: s("origin").into_iter().collect(),
        challenge: s("challenge_b64url").map(|c| b64(&c)),
        require_user_presence: true,
        require_user_verification: false,
        ..Default::default()
    };
    let input = RegistrationInput {
        attestation_object: &ao,
        client_data_json: &cdj,
        expectations: Some(&expectations),
    };
    let now = at(case["valid_at"].as_str().unwrap_or(DEFAULT_AT));
    let mut out = json!({
        "tool": "mdsd",
        "version": env!("CARGO_PKG_VERSION"),
        "id": case["id"],
        "format": case["format"],
    });
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| verify(&input, now)));
    let r = match run {
        Ok(r) => r,
        Err(_) => {
            out["statement_valid"] = json!(false);
            out["trusted"] = json!(false);
            out["by_metadata"] = json!(false);
            out["detail"] = json!("PANIC in verify_registration");
            return out;
        }
    };
    let auth = &r["authenticator"];
    let entry_verified = auth["verified"].as_bool().unwrap_or(false);
    let trusted = r["trusted"].as_bool().unwrap_or(false);
    let codes: Vec<&str> =
        r["reasons"].as_array().into_iter().flatten().filter_map(|x| x["code"].as_str()).collect();
    out["statement_valid"] = r["statement_valid"].clone();
    out["trusted"] = json!(trusted);
    // Trusted through a metadata entry (not only through an operator extra anchor).
    out["by_metadata"] = json!(trusted && entry_verified);
    out["entry"] = match auth["description"].as_str() {
        Some(d) => json!({"description": d, "verified": entry_verified}),
        None if !auth.is_null() => json!({"description": null, "verified": entry_verified}),
        None => Value::Null,
    };
    out["aaguid"] = r["aaguid"].clone();
    out["attestation_type"] = r["attestation_type"].clone();
    out["anchor"] = r["anchor"]["label"].clone();
    out["flags"] = r["flags"].clone();
    out["sign_count"] = r["sign_count"].clone();
    out["reasons"] = json!(codes);
    out["detail"] = json!(r["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["message"].as_str())
        .collect::<Vec<_>>()
        .join("; "));
    out["raw"] = r;
    out
}

// ---- adversarial cases ------------------------------------------------------------------------

/// What the BLOB says, read from its payload JSON directly (independent of mdsd's trust store).
struct Blob {
    /// Description by AAGUID and by attestation certificate key identifier.
    by_aaguid: BTreeMap<String, String>,
    by_key_id: BTreeMap<String, String>,
    /// (AAGUID, description) of entries with a REVOKED status report.
    revoked: Vec<(String, String)>,
    /// Key identifiers of entries with a REVOKED status report.
    revoked_key_ids: Vec<String>,
    entries: Vec<Value>,
}

fn blob_payload(jws: &[u8]) -> Blob {
    let text = std::str::from_utf8(jws).unwrap().trim();
    let part = text.split('.').nth(1).unwrap();
    let payload: Value = serde_json::from_slice(&b64(part)).unwrap();
    let entries = payload["entries"].as_array().unwrap().clone();
    let mut b = Blob {
        by_aaguid: BTreeMap::new(),
        by_key_id: BTreeMap::new(),
        revoked: Vec::new(),
        revoked_key_ids: Vec::new(),
        entries: entries.clone(),
    };
    for e in &entries {
        let desc = e["metadataStatement"]["description"].as_str().unwrap_or("").to_string();
        let revoked = e["statusReports"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["status"].as_str() == Some("REVOKED"));
        if let Some(a) = e["aaguid"].as_str() {
            b.by_aaguid.insert(a.to_string(), desc.clone());
            if revoked {
                b.revoked.push((a.to_string(), desc.clone()));
            }
        }
        for k in e["attestationCertificateKeyIdentifiers"].as_array().into_iter().flatten() {
            let k = k.as_str().unwrap().to_string();
            b.by_key_id.insert(k.clone(), desc.clone());
            if revoked {
                b.revoked_key_ids.push(k);
            }
        }
    }
    b
}

impl Blob {
    /// The AAGUID of the entry described exactly as `description`.
    fn aaguid_of(&self, description: &str) -> String {
        self.by_aaguid
            .iter()
            .find(|(_, d)| d.as_str() == description)
            .map(|(a, _)| a.clone())
            .unwrap_or_else(|| panic!("no AAGUID entry {description:?} in the BLOB"))
    }

    /// The first attestation root (DER) of the entry described exactly as `description`.
    fn root_of(&self, description: &str) -> Vec<u8> {
        let e = self
            .entries
            .iter()
            .find(|e| e["metadataStatement"]["description"].as_str() == Some(description))
            .unwrap_or_else(|| panic!("no entry {description:?} in the BLOB"));
        let root = e["metadataStatement"]["attestationRootCertificates"][0].as_str().unwrap();
        STANDARD.decode(root).unwrap()
    }
}

/// The decoded attestationObject of a vector, as a CBOR map.
struct Ao(Vec<(Cbor, Cbor)>);

impl Ao {
    fn decode(b64url: &str) -> Ao {
        match ciborium::de::from_reader::<Cbor, _>(&b64(b64url)[..]).unwrap() {
            Cbor::Map(m) => Ao(m),
            other => panic!("attestationObject is not a map: {other:?}"),
        }
    }

    fn field(&mut self, name: &str) -> &mut Cbor {
        self.0.iter_mut().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v).unwrap()
    }

    fn auth_data(&mut self) -> &mut Vec<u8> {
        match self.field("authData") {
            Cbor::Bytes(b) => b,
            _ => panic!("authData is not a byte string"),
        }
    }

    fn x5c(&mut self) -> &mut Vec<Cbor> {
        let stmt = self.field("attStmt").as_map_mut().unwrap();
        let x5c = stmt.iter_mut().find(|(k, _)| k.as_text() == Some("x5c")).unwrap();
        x5c.1.as_array_mut().unwrap()
    }

    fn leaf(&mut self) -> Vec<u8> {
        self.x5c()[0].as_bytes().unwrap().clone()
    }

    fn encode(&self) -> String {
        let mut out = Vec::new();
        ciborium::ser::into_writer(&Cbor::Map(self.0.clone()), &mut out).unwrap();
        URL_SAFE_NO_PAD.encode(out)
    }
}

// authenticatorData offsets (WebAuthn L3 §6.1): rpIdHash 0..32, flags 32, signCount 33..37,
// attested credential data: AAGUID 37..53.
const FLAGS: usize = 32;
const SIGN_COUNT: std::ops::Range<usize> = 33..37;
const AAGUID: std::ops::Range<usize> = 37..53;

fn set_aaguid(ad: &mut [u8], aaguid: &str) {
    let u = uuid::Uuid::parse_str(aaguid).unwrap();
    ad[AAGUID].copy_from_slice(u.as_bytes());
}

fn aaguid_at(ad: &[u8]) -> String {
    uuid::Uuid::from_slice(&ad[AAGUID]).unwrap().to_string()
}

/// The verdict a generated case should get per ../shared/REFERENCE.md §2.
struct Expect<'a> {
    statement_valid: bool,
    trusted: bool,
    /// The metadata entry (description) the verdict should vouch for.
    entry: Option<&'a str>,
    why: &'a str,
}

/// One generated case: the base vector with a new id and attestationObject.
fn case(base: &Value, id: String, mutation: &str, ao: &Ao, e: Expect<'_>) -> Value {
    let mut c = base.clone();
    c["id"] = json!(id);
    c["source"] = json!("generated");
    c["base"] = base["id"].clone();
    c["mutation"] = json!(mutation);
    c["attestationObject_b64url"] = json!(ao.encode());
    c["expected"] = json!(if e.statement_valid { "valid" } else { "invalid" });
    c["expected_reason"] = json!(e.why);
    c["expected_trust"] = json!({"trusted": e.trusted, "entry": e.entry, "why": e.why});
    c["notes"] = json!(format!("generated by examples/differential.rs from {}", base["id"]));
    c
}

fn adversarial(vectors: &[Value], blob: &Blob) -> Vec<Value> {
    let find = |id: &str| -> &Value {
        vectors.iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("no vector {id}"))
    };
    let ao_of = |id: &str| Ao::decode(find(id)["attestationObject_b64url"].as_str().unwrap());
    let target = blob.aaguid_of(TARGET_MODEL);
    let key_id_entry = |der: &[u8]| -> Option<String> {
        let kid = Cert::from_der(der).unwrap().fido_key_identifier();
        blob.by_key_id.get(&kid).cloned()
    };
    let yubico_root = blob.root_of(TARGET_MODEL);
    let fips_leaf = ao_of(PACKED_FIPS).leaf();
    let fips_listed_as = key_id_entry(&fips_leaf).unwrap_or_default();
    let mut out = Vec::new();

    // fido-u2f: the AAGUID (and flags, signCount) are outside the signature.
    for id in U2F_YUBIKEYS {
        let base = find(id);
        let mut ao = ao_of(id);
        let entry = key_id_entry(&ao.leaf());
        let why_entry = match &entry {
            Some(e) => format!("the certificate's key identifier selects {e:?}"),
            None => "the certificate's key identifier is not in the BLOB: no entry".to_string(),
        };
        set_aaguid(ao.auth_data(), &target);
        let why = format!("fido-u2f signs no AAGUID: select by key identifier only; {why_entry}");
        out.push(case(
            base,
            format!("adv-u2f-aaguid:{id}"),
            &format!("authData AAGUID := {target} ({TARGET_MODEL})"),
            &ao,
            Expect {
                statement_valid: true,
                trusted: entry.is_some(),
                entry: entry.as_deref(),
                why: &why,
            },
        ));
        let ad = ao.auth_data();
        ad[FLAGS] |= UV | BE | BS;
        ad[SIGN_COUNT].copy_from_slice(&42u32.to_be_bytes());
        let why = format!(
            "fido-u2f signs no AAGUID, flags or signCount (UV, BE, BS are the client's claim); \
             {why_entry}"
        );
        out.push(case(
            base,
            format!("adv-u2f-aaguid-uv-be-bs-count:{id}"),
            &format!("authData AAGUID := {TARGET_MODEL}, flags |= UV|BE|BS, signCount := 42"),
            &ao,
            Expect {
                statement_valid: true,
                trusted: entry.is_some(),
                entry: entry.as_deref(),
                why: &why,
            },
        ));
    }

    // fido-u2f, one field at a time (AAGUID left nil).
    let base = find(U2F_ONE);
    let entry = key_id_entry(&ao_of(U2F_ONE).leaf());
    let one = |name: &str, what: &str, f: &dyn Fn(&mut Vec<u8>)| {
        let mut ao = ao_of(U2F_ONE);
        f(ao.auth_data());
        let why = "not covered by the U2F signature: the statement still verifies; the value \
                   is the client's claim";
        let expect = Expect {
            statement_valid: true,
            trusted: entry.is_some(),
            entry: entry.as_deref(),
            why,
        };
        case(base, format!("adv-u2f-{name}:{U2F_ONE}"), what, &ao, expect)
    };
    out.push(one("uv", "flags |= UV", &|ad| ad[FLAGS] |= UV));
    out.push(one("be-bs", "flags |= BE|BS (synced)", &|ad| ad[FLAGS] |= BE | BS));
    out.push(one("signcount", "signCount := 42", &|ad| {
        ad[SIGN_COUNT].copy_from_slice(&42u32.to_be_bytes())
    }));

    // The AAGUID of a REVOKED entry (no fido-u2f key identifier is REVOKED in any real BLOB:
    // see the README; if this BLOB has one, say so).
    if let Some((revoked, desc)) = blob.revoked.first() {
        let mut ao = ao_of(U2F_ONE);
        set_aaguid(ao.auth_data(), revoked);
        let why = "fido-u2f signs no AAGUID: the REVOKED entry it names is irrelevant; select by \
                   key identifier";
        out.push(case(
            base,
            format!("adv-u2f-aaguid-revoked:{U2F_ONE}"),
            &format!("authData AAGUID := {revoked} ({desc}, REVOKED)"),
            &ao,
            Expect {
                statement_valid: true,
                trusted: entry.is_some(),
                entry: entry.as_deref(),
                why,
            },
        ));
    }
    if !blob.revoked_key_ids.is_empty() {
        eprintln!("note: REVOKED key identifiers in the BLOB: {:?}", blob.revoked_key_ids);
    }

    // fido-u2f with a second certificate in x5c: the models' attestation root.
    let mut ao = ao_of(U2F_ONE);
    ao.x5c().push(Cbor::Bytes(yubico_root.clone()));
    out.push(case(
        base,
        format!("adv-u2f-x5c+root:{U2F_ONE}"),
        "x5c += Yubico U2F Root CA (the listed YubiKey models' attestation root)",
        &ao,
        Expect {
            statement_valid: false,
            trusted: false,
            entry: None,
            why: "WebAuthn L3 §8.6 step 2: a fido-u2f x5c has exactly one certificate",
        },
    ));

    // fido-u2f from a YubiKey whose key identifier is not listed, with a listed model's
    // attestation certificate appended (a lookup by any x5c certificate would find that model).
    let mut ao = ao_of(U2F_UNLISTED);
    ao.x5c().push(Cbor::Bytes(fips_leaf.clone()));
    out.push(case(
        find(U2F_UNLISTED),
        format!("adv-u2f-x5c+listed-cert:{U2F_UNLISTED}"),
        &format!(
            "x5c += the attestation certificate of a {fips_listed_as} (key identifier listed)"
        ),
        &ao,
        Expect {
            statement_valid: false,
            trusted: false,
            entry: None,
            why: "WebAuthn L3 §8.6 step 2: exactly one certificate; and the entry is selected by \
                  the signing certificate only, never by another x5c certificate",
        },
    ));

    // packed: x5c is not signed; certificates off the path are noise.
    let packed_entry = blob.by_aaguid.get(&aaguid_at(ao_of(PACKED_YK5).auth_data())).cloned();
    let extras = [
        (
            "root",
            "x5c += Yubico U2F Root CA (this model's attestation root)".to_string(),
            &yubico_root,
        ),
        (
            "listed-cert",
            format!(
                "x5c += the attestation certificate of a {fips_listed_as} (key identifier listed)"
            ),
            &fips_leaf,
        ),
        (
            "other-root",
            format!("x5c += the attestation root of {OTHER_MODEL}"),
            &blob.root_of(OTHER_MODEL),
        ),
    ];
    for (name, what, der) in extras {
        let mut ao = ao_of(PACKED_YK5);
        ao.x5c().push(Cbor::Bytes(der.clone()));
        out.push(case(
            find(PACKED_YK5),
            format!("adv-packed-x5c+{name}:{PACKED_YK5}"),
            &what,
            &ao,
            Expect {
                statement_valid: true,
                trusted: true,
                entry: packed_entry.as_deref(),
                why: "packed signs authData (its AAGUID selects the entry); x5c is a bag: a \
                      certificate off the path changes nothing (a strict reader may refuse it)",
            },
        ));
    }

    // packed with x5c and a nil AAGUID (the entry is then looked up by key identifier), with a
    // listed certificate appended. None of the shared vectors has one today: generated only when
    // one appears.
    for v in vectors.iter().filter(|v| v["format"] == "packed") {
        let bytes =
            v["attestationObject_b64url"].as_str().and_then(|s| URL_SAFE_NO_PAD.decode(s).ok());
        let Some(Ok(Cbor::Map(m))) = bytes.map(|b| ciborium::de::from_reader::<Cbor, _>(&b[..]))
        else {
            continue;
        };
        let mut ao = Ao(m);
        let has_x5c = ao
            .field("attStmt")
            .as_map()
            .is_some_and(|s| s.iter().any(|(k, _)| k.as_text() == Some("x5c")));
        let ad = ao.auth_data().clone();
        if !has_x5c || ad.len() < AAGUID.end || ad[AAGUID].iter().any(|b| *b != 0) {
            continue;
        }
        let entry = key_id_entry(&ao.leaf());
        ao.x5c().push(Cbor::Bytes(fips_leaf.clone()));
        out.push(case(
            v,
            format!("adv-packed-nil-aaguid-x5c+listed-cert:{}", v["id"].as_str().unwrap_or("")),
            &format!(
                "packed, nil AAGUID: x5c += the attestation certificate of a {fips_listed_as}"
            ),
            &ao,
            Expect {
                statement_valid: true,
                trusted: entry.is_some(),
                entry: entry.as_deref(),
                why: "nil AAGUID: the entry is selected by the signing certificate's key \
                      identifier only",
            },
        ));
    }

    // none: nothing is signed; the AAGUID is the client's claim.
    let mut ao = ao_of(NONE_ONE);
    set_aaguid(ao.auth_data(), &target);
    out.push(case(
        find(NONE_ONE),
        format!("adv-none-aaguid:{NONE_ONE}"),
        &format!("authData AAGUID := {target} ({TARGET_MODEL})"),
        &ao,
        Expect {
            statement_valid: true,
            trusted: false,
            entry: None,
            why: "none: nothing is signed, nothing is vouched for (a display-only lookup is fine)",
        },
    ));
    out
}

// ---- plumbing ---------------------------------------------------------------------------------

/// `--flag value` pairs; any flag may repeat.
struct Args(Vec<(String, String)>);

impl Args {
    fn parse(argv: &[String]) -> Args {
        Args(
            argv.chunks(2)
                .map(|p| {
                    (
                        p[0].trim_start_matches("--").to_string(),
                        p.get(1).cloned().unwrap_or_default(),
                    )
                })
                .collect(),
        )
    }

    fn all<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(f, _)| f == flag).map(|(_, v)| v.as_str())
    }

    fn get<'a>(&'a self, flag: &'a str) -> &'a str {
        self.all(flag).next().unwrap_or_else(|| panic!("--{flag} is required (see the header)"))
    }
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).unwrap()
}
