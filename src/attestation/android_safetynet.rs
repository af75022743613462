//! The `android-safetynet` attestation statement format (WebAuthn L3 §8).

use super::{StatementInput, StatementResult};

/// Verifies a `android-safetynet` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    let _ = input;
    todo!("attestation: android_safetynet::verify")
}
