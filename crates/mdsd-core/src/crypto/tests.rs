//! Tests of the crypto boundary: signatures of every scheme (generated keys and fixed vectors),
//! SubjectPublicKeyInfo parsing and the digests.

use super::*;
use ring::rand::SystemRandom;
use ring::signature::{self as rs, KeyPair};

/// Test-only RSA key, made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
const RSA2048_PKCS8_PEM: &str = include_str!("../../../mdsd-test-support/data/rsa2048.pk8.pem");
/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`, public SPKI (DER, hex)…
const RSA1024_SPKI_HEX: &str = "30819f300d06092a864886f70d010101050003818d0030818902818100abc018b17ac62f441f3b3437b11a0c906cbe9f67de1c8b39b7756601bce5373b5e6c3f74bee8172a990eb2536807f181b8a700f5dbc66d2a0ff36cf1d4e9b0675dd08a32309477bf639f6d100dd26abb05612097e9e71694b61ed73f0b2d545899be1a8425f814d1cfe95932315d6421c8d0d2bdd33db9664d4f220b7aaa34b90203010001";
/// … and `openssl dgst -sha1 -sign` over [`RSA1024_MSG`].
const RSA1024_SHA1_SIG_HEX: &str = "30a1b6f791531027f029f7cf5ac5d3410df400cd3a882ef695169572c55b6037a794fd4316f8a027cd8fd69d939c0e4e7ee58b55729a76fff1dc27a7f1ece354c60407d64cca68853018df0a6fd66b873fd1c712e7370b23f15b2b94ba15cb8c11042de7578c8fe09d861405cddd90f10402624c886905ad3a0749b85a74cf5c";
const RSA1024_MSG: &[u8] = b"mdsd legacy vector";
const MSG: &[u8] = b"the message mdsd verifies";

// ring's view of the key's public components, to cross-check SPKI parsing (signing keys are no
// part of the crypto boundary).
#[allow(clippy::disallowed_types)]
fn rsa2048() -> (rs::RsaKeyPair, PublicKey) {
    let der = pem::parse(RSA2048_PKCS8_PEM).unwrap().into_contents();
    let pair = rs::RsaKeyPair::from_pkcs8(&der).unwrap();
    let parts: rs::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
    let key = PublicKey::rsa(&parts.n, &parts.e);
    (pair, key)
}

fn ec_pair(signing: &'static rs::EcdsaSigningAlgorithm) -> rs::EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = rs::EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
    rs::EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref(), &rng).unwrap()
}

fn ec_key(curve: Curve, pair: &rs::EcdsaKeyPair) -> PublicKey {
    PublicKey::Ec { curve, point: pair.public_key().as_ref().to_vec() }
}

fn tampered() -> Vec<u8> {
    let mut m = MSG.to_vec();
    m[0] ^= 1;
    m
}

#[test]
fn rsa_pkcs1_and_pss_verify_and_reject_tampering() {
    let (pair, key) = rsa2048();
    let rng = SystemRandom::new();
    let cases: [(&'static dyn rs::RsaEncoding, SignatureScheme); 6] = [
        (&rs::RSA_PKCS1_SHA256, SignatureScheme::RsaPkcs1Sha256),
        (&rs::RSA_PKCS1_SHA384, SignatureScheme::RsaPkcs1Sha384),
        (&rs::RSA_PKCS1_SHA512, SignatureScheme::RsaPkcs1Sha512),
        (&rs::RSA_PSS_SHA256, SignatureScheme::RsaPssSha256),
        (&rs::RSA_PSS_SHA384, SignatureScheme::RsaPssSha384),
        (&rs::RSA_PSS_SHA512, SignatureScheme::RsaPssSha512),
    ];
    for (encoding, scheme) in cases {
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(encoding, &rng, MSG, &mut sig).unwrap();
        assert_eq!(key.verify(scheme, MSG, &sig), Ok(()), "{scheme:?}");
        assert_eq!(key.verify(scheme, &tampered(), &sig), Err(SignatureError::Invalid));
    }
    // A PKCS#1 SHA-256 signature is not a PSS signature and not a SHA-512 one.
    let mut sig = vec![0; pair.public().modulus_len()];
    pair.sign(&rs::RSA_PKCS1_SHA256, &rng, MSG, &mut sig).unwrap();
    assert_eq!(key.verify(SignatureScheme::RsaPssSha256, MSG, &sig), Err(SignatureError::Invalid));
    assert_eq!(
        key.verify(SignatureScheme::RsaPkcs1Sha512, MSG, &sig),
        Err(SignatureError::Invalid)
    );
    assert_eq!(key.describe(), "RSA-2048");
}

#[test]
fn rsa_1024_legacy_sha1_vector_verifies_but_pss_needs_2048_bits() {
    let key = PublicKey::from_spki_der(&hex::decode(RSA1024_SPKI_HEX).unwrap()).unwrap();
    assert_eq!(key.describe(), "RSA-1024");
    let sig = hex::decode(RSA1024_SHA1_SIG_HEX).unwrap();
    assert_eq!(key.verify(SignatureScheme::RsaPkcs1Sha1, RSA1024_MSG, &sig), Ok(()));
    assert_eq!(
        key.verify(SignatureScheme::RsaPkcs1Sha1, b"other", &sig),
        Err(SignatureError::Invalid)
    );
    let err = key.verify(SignatureScheme::RsaPssSha256, RSA1024_MSG, &sig).unwrap_err();
    assert_eq!(
        err,
        SignatureError::RsaModulusSize {
            bits: 1024,
            min_bits: 2048,
            max_bits: 8192,
            scheme: SignatureScheme::RsaPssSha256
        }
    );
    assert_eq!(
        err.to_string(),
        "unsupported key or algorithm: RSA-1024 with RsaPssSha256: modulus must have 2048..8192 bits"
    );
    assert!(matches!(
        key.verify(SignatureScheme::RsaPkcs1Sha384, RSA1024_MSG, &sig),
        Err(SignatureError::RsaModulusSize { bits: 1024, min_bits: 2048, .. })
    ));
}

#[test]
fn rsa_keys_below_1024_bits_are_unsupported() {
    let key = PublicKey::rsa(&[0xc3; 64], &[1, 0, 1]);
    assert!(matches!(
        key.verify(SignatureScheme::RsaPkcs1Sha256, MSG, &[0; 64]),
        Err(SignatureError::RsaModulusSize { bits: 512, min_bits: 1024, .. })
    ));
}

#[test]
fn ecdsa_p256_and_p384_der_and_fixed() {
    let cases = [
        (&rs::ECDSA_P256_SHA256_ASN1_SIGNING, Curve::P256, SignatureScheme::EcdsaSha256),
        (&rs::ECDSA_P256_SHA256_FIXED_SIGNING, Curve::P256, SignatureScheme::EcdsaSha256Fixed),
        (&rs::ECDSA_P384_SHA384_ASN1_SIGNING, Curve::P384, SignatureScheme::EcdsaSha384),
        (&rs::ECDSA_P384_SHA384_FIXED_SIGNING, Curve::P384, SignatureScheme::EcdsaSha384Fixed),
    ];
    let rng = SystemRandom::new();
    for (signing, curve, scheme) in cases {
        let pair = ec_pair(signing);
        let key = ec_key(curve, &pair);
        // Several signatures so both high-bit and low-bit r/s values go through fixed_to_der.
        for _ in 0..8 {
            let sig = pair.sign(&rng, MSG).unwrap();
            assert_eq!(key.verify(scheme, MSG, sig.as_ref()), Ok(()), "{scheme:?}");
            assert_eq!(key.verify(scheme, &tampered(), sig.as_ref()), Err(SignatureError::Invalid));
        }
        // DER and fixed are different schemes: the other encoding does not verify.
        let sig = pair.sign(&rng, MSG).unwrap();
        let other = match scheme {
            SignatureScheme::EcdsaSha256 => SignatureScheme::EcdsaSha256Fixed,
            SignatureScheme::EcdsaSha256Fixed => SignatureScheme::EcdsaSha256,
            SignatureScheme::EcdsaSha384 => SignatureScheme::EcdsaSha384Fixed,
            _ => SignatureScheme::EcdsaSha384,
        };
        assert_eq!(key.verify(other, MSG, sig.as_ref()), Err(SignatureError::Invalid));
        assert_eq!(
            key.verify(SignatureScheme::EcdsaSha512, MSG, sig.as_ref()),
            Err(SignatureError::UnsupportedCurveScheme {
                curve,
                scheme: SignatureScheme::EcdsaSha512
            })
        );
    }
}

#[test]
fn ecdsa_fixed_signature_of_wrong_length_is_invalid() {
    let pair = ec_pair(&rs::ECDSA_P256_SHA256_FIXED_SIGNING);
    let key = ec_key(Curve::P256, &pair);
    let sig = pair.sign(&SystemRandom::new(), MSG).unwrap();
    let mut long = sig.as_ref().to_vec();
    long.push(0);
    assert_eq!(
        key.verify(SignatureScheme::EcdsaSha256Fixed, MSG, &long),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        key.verify(SignatureScheme::EcdsaSha256Fixed, MSG, &sig.as_ref()[..63]),
        Err(SignatureError::Invalid)
    );
}

#[test]
fn fixed_to_der_pads_high_bit_and_strips_zeros() {
    let mut fixed = vec![0u8; 64];
    fixed[0] = 0x80; // r = 0x80 00..00 → needs a 0x00 pad
    fixed[63] = 0x05; // s = 5 → leading zeros stripped
    let der = fixed_to_der(&fixed, 32).unwrap();
    let mut expected = vec![0x30, 33 + 2 + 3, 0x02, 33, 0x00, 0x80];
    expected.extend_from_slice(&[0; 31]);
    expected.extend_from_slice(&[0x02, 0x01, 0x05]);
    assert_eq!(der, expected);
    assert_eq!(fixed_to_der(&fixed[..63], 32), Err(SignatureError::Invalid));
}

#[test]
fn ecdsa_p521_der_and_fixed() {
    use p521::ecdsa::signature::Signer;
    let signing = p521::ecdsa::SigningKey::from_slice(&[0x01; 66]).unwrap();
    let point =
        p521::ecdsa::VerifyingKey::from(&signing).to_encoded_point(false).as_bytes().to_vec();
    let key = PublicKey::Ec { curve: Curve::P521, point };
    let sig: p521::ecdsa::Signature = signing.sign(MSG);
    let der = sig.to_der();
    let fixed = sig.to_bytes();
    assert_eq!(key.verify(SignatureScheme::EcdsaSha512, MSG, der.as_bytes()), Ok(()));
    assert_eq!(key.verify(SignatureScheme::EcdsaSha512Fixed, MSG, &fixed), Ok(()));
    assert_eq!(
        key.verify(SignatureScheme::EcdsaSha512, &tampered(), der.as_bytes()),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        key.verify(SignatureScheme::EcdsaSha512Fixed, &tampered(), &fixed),
        Err(SignatureError::Invalid)
    );
    assert_eq!(key.verify(SignatureScheme::EcdsaSha512, MSG, &fixed), Err(SignatureError::Invalid));
    let err = key.verify(SignatureScheme::EcdsaSha256, MSG, der.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        SignatureError::UnsupportedCurveScheme {
            curve: Curve::P521,
            scheme: SignatureScheme::EcdsaSha256
        }
    );
    assert_eq!(err.to_string(), "unsupported key or algorithm: EcdsaSha256 with an EC P-521 key");
    assert_eq!(key.describe(), "EC P-521");
}

#[test]
fn ed25519_verifies_and_rejects_other_schemes() {
    let rng = SystemRandom::new();
    let pkcs8 = rs::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = rs::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let key = PublicKey::Ed25519(pair.public_key().as_ref().to_vec());
    let sig = pair.sign(MSG);
    assert_eq!(key.verify(SignatureScheme::Ed25519, MSG, sig.as_ref()), Ok(()));
    assert_eq!(
        key.verify(SignatureScheme::Ed25519, &tampered(), sig.as_ref()),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        key.verify(SignatureScheme::EcdsaSha256, MSG, sig.as_ref()),
        Err(SignatureError::SchemeKeyMismatch {
            scheme: SignatureScheme::EcdsaSha256,
            key: "Ed25519".into()
        })
    );
}

#[test]
fn scheme_key_mismatch_is_reported() {
    let (_, rsa) = rsa2048();
    let ec = ec_key(Curve::P256, &ec_pair(&rs::ECDSA_P256_SHA256_ASN1_SIGNING));
    assert_eq!(
        rsa.verify(SignatureScheme::EcdsaSha256Fixed, MSG, &[0; 64]),
        Err(SignatureError::SchemeKeyMismatch {
            scheme: SignatureScheme::EcdsaSha256Fixed,
            key: "RSA-2048".into()
        })
    );
    assert_eq!(
        ec.verify(SignatureScheme::RsaPkcs1Sha256, MSG, &[0; 256]),
        Err(SignatureError::SchemeKeyMismatch {
            scheme: SignatureScheme::RsaPkcs1Sha256,
            key: "EC P-256".into()
        })
    );
    assert!(matches!(
        rsa.verify(SignatureScheme::Ed25519, MSG, &[0; 64]),
        Err(SignatureError::SchemeKeyMismatch { .. })
    ));
    assert!(matches!(
        ec.verify(SignatureScheme::Ed25519, MSG, &[0; 64]),
        Err(SignatureError::SchemeKeyMismatch { .. })
    ));
}

#[test]
fn unsupported_key_names_its_algorithm() {
    let key = PublicKey::Unsupported { algorithm: "Ed448".into() };
    let err = key.verify(SignatureScheme::Ed25519, MSG, &[0; 64]).unwrap_err();
    assert_eq!(
        err,
        SignatureError::UnsupportedKey {
            algorithm: "Ed448".into(),
            scheme: SignatureScheme::Ed25519
        }
    );
    assert_eq!(
        err.to_string(),
        "unsupported key or algorithm: key algorithm Ed448 (scheme Ed25519)"
    );
}

#[test]
fn malformed_ec_point_is_rejected() {
    let key = PublicKey::Ec { curve: Curve::P256, point: vec![0x04; 33] };
    assert!(matches!(
        key.verify(SignatureScheme::EcdsaSha256, MSG, &[0; 70]),
        Err(SignatureError::MalformedKey(_))
    ));
    let key = PublicKey::Ec { curve: Curve::P521, point: vec![0x04; 133] };
    assert!(matches!(
        key.verify(SignatureScheme::EcdsaSha512, MSG, &[0; 70]),
        Err(SignatureError::MalformedKey(_))
    ));
}

#[test]
fn constructors_normalise() {
    assert_eq!(
        PublicKey::rsa(&[0, 0, 0xc1, 2], &[0, 1, 0, 1]),
        PublicKey::Rsa { n: vec![0xc1, 2], e: vec![1, 0, 1] }
    );
    let key = PublicKey::ec(Curve::P256, &[7; 31], &[0, 0, 0, 9]).unwrap();
    let PublicKey::Ec { point, .. } = &key else { panic!() };
    assert_eq!(point.len(), 65);
    assert_eq!(point[0], 4);
    assert_eq!(&point[1..3], &[0, 7]);
    assert_eq!(&point[33..64], &[0; 31]);
    assert_eq!(point[64], 9);
    // Leading zeros beyond the curve size are fine, more significant bytes are not.
    let mut x = vec![0; 40];
    x[39] = 1;
    assert!(PublicKey::ec(Curve::P256, &x, &[1]).is_ok());
    assert!(matches!(
        PublicKey::ec(Curve::P256, &[1; 33], &[1]),
        Err(SignatureError::MalformedKey(_))
    ));
}

#[test]
fn spki_of_generated_keys() {
    for (alg, expected) in [
        (&rcgen::PKCS_ECDSA_P256_SHA256, "EC P-256"),
        (&rcgen::PKCS_ECDSA_P384_SHA384, "EC P-384"),
        (&rcgen::PKCS_ED25519, "Ed25519"),
    ] {
        let pair = rcgen::KeyPair::generate_for(alg).unwrap();
        let key = PublicKey::from_spki_der(&pair.public_key_der()).unwrap();
        assert_eq!(key.describe(), expected);
        let raw = pair.public_key_raw();
        match &key {
            PublicKey::Ec { point, .. } => assert_eq!(point.as_slice(), raw),
            PublicKey::Ed25519(k) => assert_eq!(k.as_slice(), raw),
            other => panic!("{other:?}"),
        }
    }
    let (_, rsa) = rsa2048();
    let der = pem::parse(RSA2048_PKCS8_PEM).unwrap().into_contents();
    let pair = rcgen::KeyPair::try_from(der.as_slice()).unwrap();
    assert_eq!(PublicKey::from_spki_der(&pair.public_key_der()).unwrap(), rsa);
}

#[test]
fn spki_unknown_curve_and_algorithm_are_unsupported_and_garbage_is_malformed() {
    // SPKI with id-ecPublicKey on secp256k1 (1.3.132.0.10).
    let mut spki = hex::decode("3056301006072a8648ce3d020106052b8104000a034200").unwrap();
    spki.push(4);
    spki.extend_from_slice(&[1; 64]);
    assert_eq!(
        PublicKey::from_spki_der(&spki).unwrap(),
        PublicKey::Unsupported { algorithm: "EC curve 1.3.132.0.10".into() }
    );
    // Ed448 (1.3.101.113).
    let mut spki = hex::decode("3043300506032b6571033a00").unwrap();
    spki.extend_from_slice(&[1; 57]);
    assert_eq!(
        PublicKey::from_spki_der(&spki).unwrap(),
        PublicKey::Unsupported { algorithm: "Ed448".into() }
    );
    assert!(matches!(
        PublicKey::from_spki_der(&[0x30, 0x03, 1, 2, 3]),
        Err(SignatureError::MalformedKey(_))
    ));
    // Ed25519 key of the wrong length.
    let mut spki = hex::decode("3022300506032b6570031900").unwrap();
    spki.extend_from_slice(&[1; 24]);
    assert!(matches!(PublicKey::from_spki_der(&spki), Err(SignatureError::MalformedKey(_))));
}

#[test]
fn digests() {
    assert_eq!(hex::encode(sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        hex::encode(sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // FIPS 180-4 examples ("abc") for every algorithm, through the one `digest` entry point.
    let cases = [
        (DigestAlgorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            DigestAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            DigestAlgorithm::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            DigestAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    for (algorithm, expected) in cases {
        let digest = algorithm.digest(b"abc");
        assert_eq!(hex::encode(digest), expected, "{algorithm}");
        assert_eq!(digest.as_ref().len(), algorithm.output_len());
        assert_eq!(digest.algorithm(), algorithm);
        assert_eq!(digest, algorithm.digest(b"abc"));
        assert_ne!(digest, algorithm.digest(b"abd"));
    }
    assert_eq!(DigestAlgorithm::Sha384.to_string(), "SHA-384");
    assert!(format!("{:?}", DigestAlgorithm::Sha1.digest(b"abc")).starts_with("SHA-1:a999"));
}

#[test]
fn streaming_sha256_equals_one_shot() {
    let mut hasher = Sha256::new();
    hasher.update(b"a");
    hasher.update(b"");
    hasher.update(b"bc");
    assert_eq!(hasher.finish(), sha256(b"abc"));
    assert_eq!(Sha256::default().finish(), sha256(b""));
}

/// Found by tests/proptest_attestation.rs (a random seed in CI): the RSAPublicKey inside a
/// SubjectPublicKeyInfo was read whatever its outer tag, so a Windows Hello AIK certificate with
/// that byte changed still gave the same key. The encoding must be exactly DER.
#[test]
fn rsa_public_key_must_be_der() {
    let spki = hex::decode(RSA1024_SPKI_HEX).unwrap();
    assert!(PublicKey::from_spki_der(&spki).is_ok());
    // The RSAPublicKey SEQUENCE tag sits after the BIT STRING's unused-bits byte.
    let at = spki.windows(2).rposition(|w| w == [0x00, 0x30]).unwrap() + 1;
    for tag in [0x50u8, 0x31, 0x10, 0xb0] {
        let mut bad = spki.clone();
        bad[at] = tag;
        let err = PublicKey::from_spki_der(&bad);
        assert!(
            matches!(err, Err(SignatureError::MalformedKey(_))),
            "tag {tag:#04x} accepted: {err:?}"
        );
    }
    // The canonical encoding of a generated certificate's RSA key is accepted.
    let pair = rcgen::KeyPair::from_pem(RSA2048_PKCS8_PEM).unwrap();
    let key = PublicKey::from_spki_der(&pair.public_key_der()).unwrap();
    assert_eq!(key.describe(), "RSA-2048");
}
