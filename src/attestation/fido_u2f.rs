//! The `fido-u2f` attestation statement format (WebAuthn L3 §8).

use super::{StatementInput, StatementResult};

/// Verifies a `fido-u2f` statement.
pub(crate) fn verify(input: &StatementInput<'_>) -> StatementResult {
    let _ = input;
    todo!("attestation: fido_u2f::verify")
}
