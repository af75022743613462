//! The `android-key` attestation statement format (WebAuthn L3 §8).

use super::{StatementInput, StatementResult};

/// Verifies a `android-key` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    let _ = input;
    todo!("attestation: android_key::verify")
}
