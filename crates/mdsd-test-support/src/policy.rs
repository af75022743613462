//! Passkey-profile configurations shared by the daemon's tests and benches.

/// The README's Entra-like set-up as a `[policy]` TOML section (`data/two_profiles.toml`):
/// admins need an attested device-bound passkey at registration; staff may use device-bound or
/// synced passkeys. Parse it with `mdsd::daemon::config::RawConfig::from_toml_str`.
pub const TWO_PROFILES_TOML: &str = include_str!("../data/two_profiles.toml");

use mdsd_core::attestation::{Expectations, RegistrationInput, Verifier, VerifierOptions};
use mdsd_core::policy::RegistrationFacts;
use mdsd_core::trust_store::TrustStore;

use crate::{at, b64, vectors::vectors};

/// Registration facts of the real vector `id`: verified by the core with `options` against
/// `store` at the vector's time (2024-06-01 when it has none), ceremony checks included
/// (challenge, origin, RP ID; no UP/UV requirement).
pub fn vector_facts(
    id: &str,
    options: &VerifierOptions,
    store: Option<&TrustStore>,
) -> RegistrationFacts {
    let v = vectors().iter().find(|v| v.id == id).expect("a vector with this id");
    let ao = b64(&v.attestation_object);
    let cd = b64(&v.client_data_json);
    let exp = Expectations {
        rp_id: v.rp_id.clone(),
        origins: v.origin.iter().cloned().collect(),
        challenge: v.challenge_b64url.as_deref().map(b64),
        top_origins: None,
        require_user_presence: false,
        require_user_verification: false,
    };
    let time = at(v.valid_at.as_deref().unwrap_or("2024-06-01T00:00:00Z"));
    let input = RegistrationInput {
        attestation_object: &ao,
        client_data_json: &cd,
        expectations: Some(&exp),
    };
    let result = Verifier::new(options.clone()).verify_registration(&input, store, time);
    RegistrationFacts::from_attestation(&result, time)
}
