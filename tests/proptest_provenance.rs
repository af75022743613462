//! The provenance property (issue #11), with no field exempt: a change to ANY byte of a
//! registration — signed or not — never turns an untrusted attestation into a trusted one, and
//! never changes a fact a trusted answer reports as verified (the model, its status, the
//! metadata key to store, the attestation type, and every flag, counter or AAGUID not listed as
//! claimed). A change may make the statement invalid, or leave a claimed fact different.
//!
//! The one way an untrusted answer may turn trusted: it was refused only because an unsigned
//! field held a value no conformant client writes (UNSIGNED_FIELD, e.g. a fido-u2f AAGUID), and
//! the change restored it. The attacker gains nothing there: that is the answer to the bytes a
//! client sends anyway.
//!
//! Corpus (seeded, every format): the 130 real vectors of ../shared/testdata judged against the
//! real 2024-12 BLOB with the shared roots as operator anchors, plus generated fido-u2f, packed,
//! apple and compound registrations against stores that list a second model on the same root
//! (the spoof targets). Mutations: single-bit flips anywhere in authenticatorData and in the
//! raw attestationObject, the AAGUID replaced by every AAGUID the store lists, the flags byte
//! and signCount set to any value, a certificate (another vector's, or a listed model's)
//! appended to x5c. A deterministic sweep (every byte of authenticatorData of every trusted
//! case, every listed AAGUID) runs beside the random cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, OnceLock};

use ciborium::Value;
use gen::{make, EntrySpec, Fmt, Opts};
use mdsd::attestation::{
    AttestationResult, Fact, ReasonCode, RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::policy::{PolicyConfig, PolicySet, RegistrationFacts};
use mdsd::trust_store::TrustStore;
use mdsd_test_support::attestation as gen;
use mdsd_test_support::pki::t;
use mdsd_test_support::vectors::vectors_json;
use mdsd_test_support::{b64, shared};
use proptest::prelude::*;
use proptest::sample::Index;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// One registration of the corpus with the store it is judged against.
struct Case {
    id: String,
    object: Vec<u8>,
    client_data: Vec<u8>,
    now: OffsetDateTime,
    store: Arc<TrustStore>,
    baseline: AttestationResult,
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let anchors = shared::attestation_anchors();
        Verifier::new(VerifierOptions { extra_anchors: anchors, ..Default::default() })
    })
}

fn judge(case: &Case, object: &[u8]) -> AttestationResult {
    judge_raw(&case.store, case.now, &case.client_data, object)
}

fn judge_raw(
    store: &TrustStore,
    now: OffsetDateTime,
    client_data: &[u8],
    object: &[u8],
) -> AttestationResult {
    let input = RegistrationInput {
        attestation_object: object,
        client_data_json: client_data,
        expectations: None,
    };
    verifier().verify_registration(&input, Some(store), now)
}

fn new_case(
    id: String,
    object: Vec<u8>,
    client_data: Vec<u8>,
    now: OffsetDateTime,
    store: Arc<TrustStore>,
) -> Case {
    let baseline = judge_raw(&store, now, &client_data, &object);
    Case { id, object, client_data, now, store, baseline }
}

/// A strict profile: enforcement, device-bound only, UV required, every AAGUID of the stores
/// on the allow list (so the list decides nothing by itself; the AAGUID must be believed).
fn strict(store: &TrustStore) -> PolicySet {
    let aaguids: Vec<String> =
        store.entries().iter().filter_map(|e| e.aaguid()).map(|a| format!("\"{a}\"")).collect();
    let config: PolicyConfig = toml::from_str(&format!(
        "[[profiles]]\nname = \"strict\"\ninclude_groups = [\"g\"]\n\
         attestation_enforcement = \"registration_only\"\nrequire_user_verification = true\n\
         passkey_types = [\"device_bound\"]\n\
         key_restrictions = {{ enforced = true, mode = \"allow\", aaguids = [{}] }}\n",
        aaguids.join(", ")
    ))
    .unwrap();
    config.build().unwrap()
}

/// What a trusted answer vouches for: each fact not listed as claimed, with its value.
fn verified_view(r: &AttestationResult) -> Vec<String> {
    let mut out = vec![format!("metadata_key={:?}", r.metadata_key())];
    for fact in Fact::ALL {
        if !r.provenance.verified(fact) {
            continue;
        }
        let flags = r.flags;
        let value = match fact {
            Fact::Authenticator => {
                format!("{:?}", r.authenticator.as_ref().map(|a| (&a.description, &a.status)))
            }
            Fact::Aaguid => format!("{:?}", r.aaguid),
            Fact::AttestationType => format!("{:?}", r.attestation_type),
            Fact::UserPresent => format!("{:?}", flags.map(|f| f.user_present())),
            Fact::UserVerified => format!("{:?}", flags.map(|f| f.user_verified())),
            Fact::BackupEligible => format!("{:?}", flags.map(|f| f.backup_eligible())),
            Fact::BackedUp => format!("{:?}", flags.map(|f| f.backed_up())),
            Fact::CredentialKind => format!("{:?}", r.credential_kind),
            Fact::SignCount => format!("{:?}", r.sign_count),
            // `Fact` is non-exhaustive: a fact added to `Fact::ALL` fails here until it is given
            // a value, so the property keeps covering every fact.
            other => panic!("verified_view has no value for {other:?}"),
        };
        out.push(format!("{}={value}", fact.as_str()));
    }
    out
}

/// The property for one mutated registration.
fn check(case: &Case, mutated: &[u8], what: &str) -> Result<(), String> {
    let before = &case.baseline;
    let after = judge(case, mutated);
    if after.trusted && !before.trusted {
        let only_unsigned = before.reasons.iter().all(|r| r.code == ReasonCode::UnsignedField);
        if !only_unsigned {
            return Err(format!(
                "{} ({what}): untrusted became trusted; before {:?}; after {:?}",
                case.id, before.reasons, after.authenticator
            ));
        }
    }
    if after.trusted && before.trusted && verified_view(&after) != verified_view(before) {
        return Err(format!(
            "{} ({what}): a verified fact changed: {:?} -> {:?}",
            case.id,
            verified_view(before),
            verified_view(&after)
        ));
    }
    // Policy under enforcement rests on verified facts only.
    let policy = strict(&case.store);
    let g = ["g".to_string()];
    let allowed = |r: &AttestationResult| {
        policy.evaluate_registration(&RegistrationFacts::from_attestation(r, case.now), &g).allowed
    };
    if allowed(&after) && !allowed(before) && before.trusted {
        return Err(format!("{} ({what}): the strict profile now allows it", case.id));
    }
    Ok(())
}

/// The real 2024-12 and 2021-08 BLOBs (no 121 and 6), verified without CRLs inside their
/// chains' validity.
fn real_stores() -> [Arc<TrustStore>; 2] {
    static S: OnceLock<[Arc<TrustStore>; 2]> = OnceLock::new();
    S.get_or_init(|| {
        let load = |file: &str, at: &str| shared::blob_store(file, mdsd_test_support::at(at));
        [
            load("s1r-J_fido-mds3__2024-12-02__blob.jwt", "2024-12-15T00:00:00Z"),
            load("s1r-J_fido-mds3__2021-08-24__blob.jwt", "2021-08-25T00:00:00Z"),
        ]
    })
    .clone()
}

fn cases() -> &'static [Case] {
    static C: OnceLock<Vec<Case>> = OnceLock::new();
    C.get_or_init(|| {
        let mut out = Vec::new();
        let list = vectors_json();
        let stores = real_stores();
        for v in list {
            let now = OffsetDateTime::parse(
                v["valid_at"].as_str().unwrap_or("2024-06-01T00:00:00Z"),
                &Rfc3339,
            )
            .unwrap();
            // The store that trusts it when one does (some models are listed in one BLOB and
            // anchored by an operator root without an entry in the other), else the newer.
            let make_case = |store: &Arc<TrustStore>| {
                new_case(
                    v["id"].as_str().unwrap().to_string(),
                    b64(v["attestationObject_b64url"].as_str().unwrap()),
                    b64(v["clientDataJSON_b64url"].as_str().unwrap()),
                    now,
                    store.clone(),
                )
            };
            let case = make_case(&stores[0]);
            let case = if case.baseline.trusted {
                case
            } else {
                let older = make_case(&stores[1]);
                if older.baseline.trusted {
                    older
                } else {
                    case
                }
            };
            out.push(case);
        }
        // Generated: each format trusted by its own entry, with a second certified model
        // listed on the same root (the AAGUID a spoof would borrow).
        let spoof_target = Uuid::from_bytes([0x5f; 16]);
        for fmt in
            [Fmt::FidoU2f, Fmt::Packed, Fmt::Apple, Fmt::Compound, Fmt::PackedSelf, Fmt::None]
        {
            let made = make(fmt, &Opts::default(), None);
            let mut own = match &made.leaf {
                Some(leaf) if fmt == Fmt::FidoU2f => {
                    let mut e = EntrySpec::new(None, "generated U2F key", vec![&made.root]);
                    e.key_identifiers = vec![leaf.parsed().fido_key_identifier()];
                    e.status = vec![
                        ("FIDO_CERTIFIED", "2015-01-01", None),
                        ("REVOKED", "2020-01-01", None),
                    ];
                    e
                }
                _ => EntrySpec::new(Some(made.aaguid), "generated model", vec![&made.root]),
            };
            if fmt == Fmt::Apple {
                own.attestation_types = vec!["anonca"];
            }
            let mut target =
                EntrySpec::new(Some(spoof_target), "certified target", vec![&made.root]);
            target.status = vec![("FIDO_CERTIFIED_L3", "2020-01-01", None)];
            let store = Arc::new(gen::store(1, &[own, target]));
            let case = new_case(
                format!("generated {fmt:?}"),
                made.attestation_object.clone(),
                made.client_data_json.clone(),
                t(2025, 6, 1),
                store.clone(),
            );
            out.push(case);
            // The same U2F key with its entry certified: trusted, so the "verified facts never
            // change" half applies to fido-u2f too.
            if fmt == Fmt::FidoU2f {
                let leaf = made.leaf.as_ref().unwrap();
                let mut e = EntrySpec::new(None, "generated U2F key", vec![&made.root]);
                e.key_identifiers = vec![leaf.parsed().fido_key_identifier()];
                let target =
                    EntrySpec::new(Some(spoof_target), "certified target", vec![&made.root]);
                let case = new_case(
                    "generated FidoU2f (certified)".into(),
                    made.attestation_object.clone(),
                    made.client_data_json.clone(),
                    t(2025, 6, 1),
                    Arc::new(gen::store(2, &[e, target])),
                );
                assert!(case.baseline.trusted, "{:?}", case.baseline.reasons);
                out.push(case);
            }
        }
        out
    })
}

/// The authData byte string and its place in the CBOR of the attestationObject.
fn with_auth_data(object: &[u8], mut edit: impl FnMut(&mut Vec<u8>)) -> Option<Vec<u8>> {
    let mut value: Value = ciborium::from_reader(object).ok()?;
    let map = match &mut value {
        Value::Map(m) => m,
        _ => return None,
    };
    let (_, auth) = map.iter_mut().find(|(k, _)| k.as_text() == Some("authData"))?;
    let Value::Bytes(bytes) = auth else { return None };
    edit(bytes);
    Some(gen::enc(&value))
}

fn auth_data_len(object: &[u8]) -> usize {
    let mut n = 0;
    with_auth_data(object, |b| n = b.len());
    n
}

fn append_x5c(object: &[u8], cert: &[u8]) -> Option<Vec<u8>> {
    let mut value: Value = ciborium::from_reader(object).ok()?;
    let Value::Map(map) = &mut value else { return None };
    let (_, stmt) = map.iter_mut().find(|(k, _)| k.as_text() == Some("attStmt"))?;
    let Value::Map(stmt) = stmt else { return None };
    let (_, x5c) = stmt.iter_mut().find(|(k, _)| k.as_text() == Some("x5c"))?;
    let Value::Array(items) = x5c else { return None };
    items.push(Value::Bytes(cert.to_vec()));
    Some(gen::enc(&value))
}

/// Every AAGUID a store lists, and the nil AAGUID.
fn listed_aaguids(store: &TrustStore) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = store.entries().iter().filter_map(|e| e.aaguid()).collect();
    out.push(Uuid::nil());
    out
}

/// Certificates to append: every leaf of the corpus and every listed attestation root.
fn foreign_certs() -> &'static [Vec<u8>] {
    static F: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    F.get_or_init(|| {
        let mut out = Vec::new();
        for case in cases() {
            for e in case.store.entries().iter().take(40) {
                out.extend(e.attestation_roots().iter().map(|c| c.der().to_vec()));
            }
            let value: Option<Value> = ciborium::from_reader(case.object.as_slice()).ok();
            let x5c = value
                .as_ref()
                .and_then(|v| v.as_map())
                .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("attStmt")))
                .and_then(|(_, s)| s.as_map())
                .and_then(|s| s.iter().find(|(k, _)| k.as_text() == Some("x5c")))
                .and_then(|(_, x)| x.as_array());
            if let Some(first) = x5c.and_then(|x| x.first()).and_then(|c| c.as_bytes()) {
                out.push(first.clone());
            }
        }
        out.sort();
        out.dedup();
        out
    })
}

#[test]
fn the_corpus_covers_every_format_trusted_and_not() {
    let cases = cases();
    let fmts: std::collections::BTreeSet<String> = cases
        .iter()
        .filter(|c| c.baseline.trusted)
        .filter_map(|c| c.baseline.format.map(|f| f.as_str().to_string()))
        .collect();
    for f in ["packed", "tpm", "android-key", "android-safetynet", "fido-u2f", "apple", "compound"]
    {
        assert!(fmts.contains(f), "no trusted {f} case: {fmts:?}");
    }
    assert!(cases.iter().any(|c| c.baseline.format.map(|f| f.as_str()) == Some("none")));
    let trusted = cases.iter().filter(|c| c.baseline.trusted).count();
    eprintln!(
        "{} cases, {trusted} trusted, {} foreign certificates",
        cases.len(),
        foreign_certs().len()
    );
}

/// The deterministic sweep: every byte of authenticatorData of every trusted case (XOR 0x01 and
/// 0xff), and every listed AAGUID written into every case.
#[test]
fn no_change_to_authenticator_data_moves_a_verified_fact() {
    let mut failures = Vec::new();
    let mut judged = 0usize;
    for case in cases() {
        let len = auth_data_len(&case.object);
        if case.baseline.trusted {
            for i in 0..len {
                for mask in [0x01u8, 0xff] {
                    let Some(m) = with_auth_data(&case.object, |b| b[i] ^= mask) else { continue };
                    judged += 1;
                    if let Err(e) = check(case, &m, &format!("authData[{i}] ^= {mask:#04x}")) {
                        failures.push(e);
                    }
                }
            }
        }
        if len >= 53 {
            for aaguid in listed_aaguids(&case.store) {
                let Some(m) =
                    with_auth_data(&case.object, |b| b[37..53].copy_from_slice(aaguid.as_bytes()))
                else {
                    continue;
                };
                judged += 1;
                if let Err(e) = check(case, &m, &format!("AAGUID := {aaguid}")) {
                    failures.push(e);
                }
            }
        }
    }
    eprintln!("{judged} mutated registrations judged");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    /// A bit flipped anywhere in authenticatorData or in the raw attestationObject.
    #[test]
    fn bit_flips_anywhere(case in any::<Index>(), at in any::<Index>(), bit in 0u8..8, raw in any::<bool>()) {
        let case = case.get(cases());
        let mutated = if raw {
            let mut m = case.object.clone();
            let i = at.index(m.len());
            m[i] ^= 1 << bit;
            Some(m)
        } else {
            let len = auth_data_len(&case.object);
            (len > 0).then(|| with_auth_data(&case.object, |b| b[at.index(len)] ^= 1 << bit)).flatten()
        };
        if let Some(m) = mutated {
            prop_assert!(check(case, &m, "bit flip").is_ok(), "{}", check(case, &m, "bit flip").unwrap_err());
        }
    }

    /// The unsigned-in-some-format fields set to any value: flags, signCount, AAGUID.
    #[test]
    fn flags_counter_and_aaguid_set_to_anything(
        case in any::<Index>(),
        flags in any::<u8>(),
        count in any::<u32>(),
        aaguid in any::<Index>(),
        which in 0u8..3,
    ) {
        let case = case.get(cases());
        let listed = listed_aaguids(&case.store);
        let target = *aaguid.get(&listed);
        let mutated = with_auth_data(&case.object, |b| {
            if b.len() < 53 { return; }
            match which {
                0 => b[32] = flags,
                1 => b[33..37].copy_from_slice(&count.to_be_bytes()),
                _ => b[37..53].copy_from_slice(target.as_bytes()),
            }
        });
        if let Some(m) = mutated {
            let r = check(case, &m, "field set");
            prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        }
    }

    /// Another certificate appended to x5c (only the validated leaf may select an entry).
    #[test]
    fn a_certificate_appended_to_x5c(case in any::<Index>(), cert in any::<Index>()) {
        let case = case.get(cases());
        let cert = cert.get(foreign_certs());
        if let Some(m) = append_x5c(&case.object, cert) {
            let r = check(case, &m, "x5c appended");
            prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        }
    }
}
