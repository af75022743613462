//! `Verifier::validate_chain` (the ValidateAttestationChain RPC's core) on an attacker-chosen
//! chain: the input is `key selector(1)` then the `x509_path` format (`now(8)` then `len(2) ‖ DER`
//! records, leaf first). The selector names the entry the chain is judged for: an AAGUID of the
//! real 2024-12 store (listed entry), the leaf's key identifier (U2F lookup), or an AAGUID no
//! entry has (operator anchors only). Asserts the trust rules: trusted ⇒ no reasons and a path; a
//! listed entry's chain is trusted only when it ends at one of that entry's own roots; the chain
//! cache answers the same outcome afterwards.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use mdsd::attestation::{EntryKey, Verifier};
use mdsd::x509::Cert;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (now, mut rest) = mdsd_fuzz::time_from(rest);
    let mut chain = Vec::new();
    while !rest.is_empty() && chain.len() < 16 {
        let (der, tail) = mdsd_fuzz::split_u16(rest);
        rest = tail;
        if let Ok(c) = Cert::from_der(der) {
            chain.push(Arc::new(c));
        }
    }
    let Some(leaf) = chain.first() else { return };
    let store = mdsd_fuzz::store();
    let entries = store.entries();
    let listed = entries.get(usize::from(selector / 3) % entries.len().max(1)).and_then(|e| e.aaguid());
    let unlisted = Uuid::from_slice(&leaf.sha256()[..16]).unwrap();
    let key_id = leaf.fido_key_identifier();
    let key = match (selector % 3, listed.as_ref()) {
        (0, Some(aaguid)) => EntryKey::Aaguid(*aaguid),
        (1, _) => EntryKey::KeyIdentifier(key_id),
        _ => EntryKey::Aaguid(unlisted),
    };
    // A fresh verifier with a chain cache per input: same work whatever ran before.
    let verifier = Verifier::new(mdsd_fuzz::verifier().options().clone());
    let outcome = verifier.validate_chain(&key, &chain, store, now);
    if outcome.trusted {
        assert!(outcome.reasons.is_empty(), "trusted with reasons: {:?}", outcome.reasons);
        let path = outcome.path.as_ref().expect("trusted without a path");
        if let Some(entry) = &outcome.entry {
            assert!(
                entry.attestation_roots().iter().any(|r| r.sha256() == path.anchor.sha256()),
                "a listed entry's chain trusted through an anchor that is not one of its roots"
            );
        }
    }
    let cached = verifier
        .validate_chain_cached(&key, &chain, store, now)
        .expect("the outcome just computed is cached");
    assert_eq!(cached.trusted, outcome.trusted);
    assert_eq!(cached.reasons.len(), outcome.reasons.len());
});
