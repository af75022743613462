//! `mdsd blob verify` and `mdsd blob inspect`.

use std::process::ExitCode;

use super::BlobTrustArgs;

pub fn verify(args: &BlobTrustArgs) -> ExitCode {
    let _ = args;
    todo!("cli: blob verify")
}

pub fn inspect(args: &BlobTrustArgs) -> ExitCode {
    let _ = args;
    todo!("cli: blob inspect")
}
