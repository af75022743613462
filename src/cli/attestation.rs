//! `mdsd attestation verify`.

use std::process::ExitCode;

use super::AttestationVerifyArgs;

pub fn verify(args: &AttestationVerifyArgs) -> ExitCode {
    let _ = args;
    todo!("cli: attestation verify")
}
