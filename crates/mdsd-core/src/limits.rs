//! Request bounds, in one place: how much one request may ask of the core (sizes and counts of
//! what a relying party sends). The core enforces those it reads itself (clientDataJSON, x5c,
//! user groups) and a shell checks the rest before calling in — with these same values, so a
//! bound is written once.
//!
//! Operator metadata statements are bounded here too ([`METADATA_STATEMENT_BYTES`],
//! [`METADATA_STATEMENT_FILES`]): the core reads them, a shell reads the files.
//!
//! Bounds on the work a *BLOB* may cause (its size, entries, chain) live with the BLOB in
//! [`crate::mds`]; the attestationObject's size and CBOR depth are operator options
//! ([`crate::attestation::Limits`]).

/// A bound on a count: at most `max` (in `unit`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: usize,
    /// What is counted, plural (`"bytes"`, `"groups"`).
    pub unit: &'static str,
}

/// A count over its limit. Displays as `"<count> <unit>, more than <max>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{count} {}, more than {}", limit.unit, limit.max)]
pub struct Exceeded {
    pub count: usize,
    pub limit: Limit,
}

impl Limit {
    pub const fn new(max: usize, unit: &'static str) -> Limit {
        Limit { max, unit }
    }

    /// `Err` when `count` is over the limit.
    pub fn check(self, count: usize) -> Result<(), Exceeded> {
        if count > self.max {
            return Err(Exceeded { count, limit: self });
        }
        Ok(())
    }
}

/// Most bytes of clientDataJSON (browsers send a few hundred).
pub const CLIENT_DATA_BYTES: Limit = Limit::new(64 * 1024, "bytes");
/// Most allowed origins, and most allowed top-level origins, of one ceremony.
pub const ORIGINS: Limit = Limit::new(64, "origins");
/// Most groups of one user the passkey profiles consider.
pub const USER_GROUPS: Limit = Limit::new(10_000, "groups");
/// Most certificates in an attestation `x5c` (a statement's, or a chain to validate).
pub const X5C_CERTIFICATES: Limit = Limit::new(8, "certificates");
/// Most stored credentials re-judged in one batch.
pub const CREDENTIALS_PER_BATCH: Limit = Limit::new(10_000, "credentials");
/// Most attestation fingerprints stored with one credential (one per x5c certificate).
pub const FINGERPRINTS_PER_CREDENTIAL: Limit = Limit::new(X5C_CERTIFICATES.max, "fingerprints");
/// Most bytes of a credential ID sent back beside its verdict.
pub const ECHOED_CREDENTIAL_ID_BYTES: Limit = Limit::new(1024, "bytes");
/// Most bytes of one operator metadata statement file (real statements are a few KiB; the
/// largest in the 2024 BLOBs, icon included, is under 100 KiB).
pub const METADATA_STATEMENT_BYTES: Limit = Limit::new(1024 * 1024, "bytes");
/// Most operator metadata statement files loaded at once.
pub const METADATA_STATEMENT_FILES: Limit = Limit::new(1024, "files");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_over_its_limit_says_so() {
        assert_eq!(USER_GROUPS.check(10_000), Ok(()));
        let e = USER_GROUPS.check(10_001).unwrap_err();
        assert_eq!(e.to_string(), "10001 groups, more than 10000");
        assert_eq!(
            X5C_CERTIFICATES.check(9).unwrap_err().to_string(),
            "9 certificates, more than 8"
        );
    }
}
