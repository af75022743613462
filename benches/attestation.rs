//! One registration verification per attestation format, on real vectors from
//! ../shared/testdata/attestations/vectors.json, with the chain cache warm, without a cache, and
//! beside the floor: the signature checks the format cannot avoid (statement signature only when
//! the chain is cached; plus every certificate signature of the chain on a miss).
//! Run: `cargo bench --bench attestation`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ciborium::Value;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use mdsd::attestation::{
    scheme_for_alg, AuthenticatorData, RegistrationInput, Verifier, VerifierOptions,
};
use mdsd::crypto::{sha256, PublicKey, SignatureScheme};
use mdsd::trust_store::TrustStore;
use mdsd::x509::Cert;
use mdsd_test_support::shared::{self, BLOB_2024_12};
use mdsd_test_support::vectors::vector;
use mdsd_test_support::{at, b64};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// (bench name, vector id).
const CASES: [(&str, &str); 8] = [
    ("packed_x5c", "java-webauthn-server-packed-RealExamples-YubiKey5Nfc"),
    ("packed_self", "w3c-packed-self-es256"),
    ("tpm_rsa", "py_webauthn-tpm-verify-attestation-dell-xps-13"),
    ("tpm_ecc", "py_webauthn-tpm-verify-tpm-with-ecc-public-area-type"),
    ("android_key", "py_webauthn-android-key-verify-attestation-android-key-hardware-authority"),
    ("apple", "py_webauthn-apple-verify-attestation-apple-passkey"),
    ("fido_u2f", "java-webauthn-server-fido-u2f-RealExamples-YubiKey5cNfc"),
    ("none", "w3c-none-es256"),
];

/// The 2024-12 BLOB's trust store (chain checked, revocation skipped: no CRLs for that date).
fn store() -> Arc<TrustStore> {
    shared::blob_store(BLOB_2024_12, at("2024-12-03T00:00:00Z"))
}

fn get<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

/// The signature checks of one attestation: `statement` (with the chain cached) and `chain`
/// (every certificate signature up to the anchor, for a cache miss).
struct Floor {
    client_data_json: Vec<u8>,
    /// (key, scheme, message, signature) of the statement signature, if the format has one.
    statement: Option<(PublicKey, SignatureScheme, Vec<u8>, Vec<u8>)>,
    /// Extra hashing the format needs without a signature (apple nonce).
    nonce_input: Option<Vec<u8>>,
    /// (certificate, issuer key) for each link of the chain.
    chain: Vec<(Arc<Cert>, PublicKey)>,
}

impl Floor {
    fn new(ao: &[u8], cdj: &[u8], anchors: &[Arc<Cert>]) -> Floor {
        let obj: Value = ciborium::from_reader(ao).unwrap();
        let fmt = get(&obj, "fmt").unwrap().as_text().unwrap().to_string();
        let stmt = get(&obj, "attStmt").unwrap();
        let auth_raw = get(&obj, "authData").unwrap().as_bytes().unwrap().clone();
        let auth = AuthenticatorData::parse(&auth_raw).unwrap();
        let cdh = sha256(cdj);
        let signed = [auth_raw.as_slice(), &cdh].concat();
        let x5c: Vec<Arc<Cert>> = get(stmt, "x5c")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter().map(|c| Arc::new(Cert::from_der(c.as_bytes().unwrap()).unwrap())).collect()
            })
            .unwrap_or_default();
        let sig = get(stmt, "sig").and_then(Value::as_bytes).cloned();
        let alg = get(stmt, "alg").and_then(|a| a.as_integer()).map(|a| i64::try_from(a).unwrap());
        let cred = auth.attested_credential.as_ref().unwrap();
        let statement = match fmt.as_str() {
            "packed" | "android-key" if !x5c.is_empty() => Some((
                x5c[0].public_key().clone(),
                scheme_for_alg(alg.unwrap()).unwrap(),
                signed.clone(),
                sig.unwrap(),
            )),
            "packed" => Some((
                cred.public_key.key.clone(),
                scheme_for_alg(alg.unwrap()).unwrap(),
                signed.clone(),
                sig.unwrap(),
            )),
            "tpm" => Some((
                x5c[0].public_key().clone(),
                scheme_for_alg(alg.unwrap()).unwrap(),
                get(stmt, "certInfo").unwrap().as_bytes().unwrap().clone(),
                sig.unwrap(),
            )),
            "fido-u2f" => {
                let PublicKey::Ec { point, .. } = &cred.public_key.key else { panic!("u2f key") };
                let data =
                    [&[0u8][..], &auth.rp_id_hash, &cdh, &cred.credential_id, point.as_slice()]
                        .concat();
                Some((
                    x5c[0].public_key().clone(),
                    SignatureScheme::EcdsaSha256,
                    data,
                    sig.unwrap(),
                ))
            }
            _ => None,
        };
        // Each certificate by the next; the last by the anchor that issued it.
        let mut chain = Vec::new();
        for (i, cert) in x5c.iter().enumerate() {
            let issuer = match x5c.get(i + 1) {
                Some(next) => Some(next.public_key().clone()),
                None => anchors
                    .iter()
                    .find(|a| {
                        a.subject_raw() == cert.issuer_raw()
                            && cert.verify_signed_by(a.public_key()).is_ok()
                    })
                    .map(|a| a.public_key().clone()),
            };
            if let Some(key) = issuer {
                if cert.verify_signed_by(&key).is_ok() {
                    chain.push((cert.clone(), key));
                }
            }
        }
        let nonce_input = (fmt == "apple").then_some(signed);
        Floor { client_data_json: cdj.to_vec(), statement, nonce_input, chain }
    }

    fn hit(&self) {
        black_box(sha256(&self.client_data_json));
        if let Some(input) = &self.nonce_input {
            black_box(sha256(input));
        }
        if let Some((key, scheme, msg, sig)) = &self.statement {
            key.verify(*scheme, msg, sig).unwrap();
        }
    }

    fn miss(&self) {
        self.hit();
        for (cert, key) in &self.chain {
            cert.verify_signed_by(key).unwrap();
        }
    }
}

/// Median time of `f` over `batches` batches of `n` calls each.
fn median_per_call(batches: usize, n: u32, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed() / n
        })
        .collect();
    times.sort();
    times[batches / 2]
}

fn attestation(c: &mut Criterion) {
    let store = store();
    let anchors = shared::attestation_anchors();
    let mut anchor_certs: Vec<Arc<Cert>> = anchors.iter().map(|a| a.cert.clone()).collect();
    for entry in store.entries() {
        anchor_certs.extend(entry.attestation_roots().iter().cloned());
    }
    let options = VerifierOptions { extra_anchors: anchors, ..VerifierOptions::default() };
    let cached = Verifier::new(options.clone());
    let uncached = Verifier::with_cache_capacity(options, 0);

    for (name, id) in CASES {
        let v = vector(id);
        let ao = b64(&v.attestation_object);
        let cdj = b64(&v.client_data_json);
        let at = OffsetDateTime::parse(
            v.valid_at.as_deref().unwrap_or("2024-06-01T00:00:00Z"),
            &Rfc3339,
        )
        .unwrap();
        let input = RegistrationInput {
            attestation_object: &ao,
            client_data_json: &cdj,
            expectations: None,
        };
        let r = cached.verify_registration(&input, Some(&store), at);
        assert!(r.statement_valid, "{id}: {:?}", r.reasons);
        let floor = Floor::new(&ao, &cdj, &anchor_certs);
        floor.miss();

        let mut group = c.benchmark_group(format!("attestation/{name}"));
        group.bench_function("verify_cached", |b| {
            b.iter(|| cached.verify_registration(black_box(&input), Some(&store), at))
        });
        group.bench_function("verify_uncached", |b| {
            b.iter(|| uncached.verify_registration(black_box(&input), Some(&store), at))
        });
        group.bench_function("floor_hit", |b| b.iter(|| floor.hit()));
        group.bench_function("floor_miss", |b| b.iter(|| floor.miss()));
        group.finish();

        let (mut vc, mut vu, mut fh, mut fm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..9 {
            vc.push(median_per_call(3, 50, || {
                drop(cached.verify_registration(&input, Some(&store), at))
            }));
            vu.push(median_per_call(3, 50, || {
                drop(uncached.verify_registration(&input, Some(&store), at))
            }));
            fh.push(median_per_call(3, 50, || floor.hit()));
            fm.push(median_per_call(3, 50, || floor.miss()));
        }
        for v in [&mut vc, &mut vu, &mut fh, &mut fm] {
            v.sort();
        }
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "RATIO attestation/{name}: trusted={} chain_links={} cached {:.1} us (floor {:.1} us, {:.2}x, {:.0}/s) | uncached {:.1} us (floor {:.1} us, {:.2}x, {:.0}/s)",
            r.trusted,
            floor.chain.len(),
            us(vc[4]),
            us(fh[4]),
            us(vc[4]) / us(fh[4]),
            1e6 / us(vc[4]),
            us(vu[4]),
            us(fm[4]),
            us(vu[4]) / us(fm[4]),
            1e6 / us(vu[4]),
        );
    }
}

/// The most one inline verification (the daemon's bounded case) may cost in signatures, beside
/// what is left to the blocking pool: one statement signature with the costliest key each side
/// of `attestation::trust::costly_statement_key`. RSA timings use an odd all-ones modulus (not
/// a real key: ring does the whole modular exponentiation, then refuses the padding).
fn inline_bound(_c: &mut Criterion) {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_ASN1_SIGNING};
    let msg = [7u8; 200];
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, &rng).unwrap();
    let p384 =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let p384_sig = p384.sign(&rng, &msg).unwrap().as_ref().to_vec();
    let p384_key = PublicKey::Ec {
        curve: mdsd::crypto::Curve::P384,
        point: p384.public_key().as_ref().to_vec(),
    };
    let p521_signing = p521::ecdsa::SigningKey::from_slice(&[0x01; 66]).unwrap();
    let p521_sig: p521::ecdsa::Signature =
        p521::ecdsa::signature::Signer::sign(&p521_signing, &msg);
    let p521_key = PublicKey::Ec {
        curve: mdsd::crypto::Curve::P521,
        point: p521::ecdsa::VerifyingKey::from(&p521_signing)
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
    };
    let rsa = |bits: usize, e: &[u8]| PublicKey::Rsa { n: vec![0xFF; bits / 8], e: e.to_vec() };
    let cases: [(&str, PublicKey, SignatureScheme, Vec<u8>, bool); 5] = [
        ("P-384 (inline)", p384_key, SignatureScheme::EcdsaSha384, p384_sig, true),
        (
            "RSA-4096 e=65537 (inline)",
            rsa(4096, &[1, 0, 1]),
            SignatureScheme::RsaPkcs1Sha256,
            vec![1; 512],
            false,
        ),
        (
            "RSA-8192 e=65537 (pool)",
            rsa(8192, &[1, 0, 1]),
            SignatureScheme::RsaPkcs1Sha256,
            vec![1; 1024],
            false,
        ),
        (
            "RSA-8192 e=2^33-1 (pool)",
            rsa(8192, &[1, 0xFF, 0xFF, 0xFF, 0xFF]),
            SignatureScheme::RsaPkcs1Sha256,
            vec![1; 1024],
            false,
        ),
        (
            "P-521 (pool)",
            p521_key,
            SignatureScheme::EcdsaSha512,
            p521_sig.to_der().as_bytes().to_vec(),
            true,
        ),
    ];
    for (name, key, scheme, sig, valid) in cases {
        assert_eq!(key.verify(scheme, &msg, &sig).is_ok(), valid, "{name}");
        let t = median_per_call(9, 20, || drop(black_box(key.verify(scheme, &msg, &sig))));
        println!("RATIO inline_bound/{name}: {:.1} us per signature check", t.as_secs_f64() * 1e6);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(1));
    targets = attestation, inline_bound
}
criterion_main!(benches);
