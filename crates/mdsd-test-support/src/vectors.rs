//! The real attestation vectors of `../shared/testdata/attestations/vectors.json` (130
//! registrations collected from other WebAuthn libraries' suites and the W3C spec, each with
//! where it comes from and the outcome its source expects), read once per process: typed
//! ([`vectors`], [`vector`]) or as the JSON objects of the file ([`vectors_json`],
//! [`vector_json`]).

use std::sync::OnceLock;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::{at, b64, shared};

/// One vector, fields named as in vectors.json (the base64url strings as they are: decode them
/// with [`crate::b64`] or the methods).
#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    pub id: String,
    /// The attestation statement format (`packed`, `tpm`, …) as its source names it.
    pub format: String,
    pub source_repo: String,
    #[serde(rename = "attestationObject_b64url")]
    pub attestation_object: String,
    #[serde(rename = "clientDataJSON_b64url")]
    pub client_data_json: String,
    pub challenge_b64url: Option<String>,
    pub origin: Option<String>,
    #[serde(rename = "rpId")]
    pub rp_id: Option<String>,
    /// `valid` or `invalid`, as the source suite judges it.
    pub expected: String,
    pub expected_reason: Option<String>,
    pub aaguid: Option<String>,
    /// A time inside the validity of the vector's certificates (RFC 3339), when it needs one.
    pub valid_at: Option<String>,
    pub notes: String,
}

impl Vector {
    /// The attestationObject bytes.
    pub fn attestation_object_bytes(&self) -> Vec<u8> {
        b64(&self.attestation_object)
    }

    /// The clientDataJSON bytes.
    pub fn client_data_json_bytes(&self) -> Vec<u8> {
        b64(&self.client_data_json)
    }

    /// The challenge bytes.
    pub fn challenge(&self) -> Option<Vec<u8>> {
        self.challenge_b64url.as_deref().map(b64)
    }

    /// [`Vector::valid_at`] as a time.
    pub fn valid_at_time(&self) -> Option<OffsetDateTime> {
        self.valid_at.as_deref().map(at)
    }
}

/// All vectors, in file order.
pub fn vectors() -> &'static [Vector] {
    static ALL: OnceLock<Vec<Vector>> = OnceLock::new();
    ALL.get_or_init(|| {
        vectors_json()
            .iter()
            .map(|v| {
                Vector::deserialize(v).unwrap_or_else(|e| panic!("vectors.json: {e}: {}", v["id"]))
            })
            .collect()
    })
}

/// The vector `id`; panics when there is none.
pub fn vector(id: &str) -> &'static Vector {
    vectors().iter().find(|v| v.id == id).unwrap_or_else(|| panic!("no vector {id}"))
}

/// All vectors as the JSON objects of the file, in file order.
pub fn vectors_json() -> &'static [serde_json::Value] {
    static ALL: OnceLock<Vec<serde_json::Value>> = OnceLock::new();
    ALL.get_or_init(|| {
        serde_json::from_slice(&shared::read("attestations/vectors.json"))
            .unwrap_or_else(|e| panic!("attestations/vectors.json: {e}"))
    })
}

/// The vector `id` as its JSON object; panics when there is none.
pub fn vector_json(id: &str) -> &'static serde_json::Value {
    vectors_json().iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("no vector {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vector_decodes() {
        assert!(vectors().len() >= 130, "{}", vectors().len());
        for v in vectors() {
            assert!(!v.attestation_object_bytes().is_empty(), "{}", v.id);
            assert!(!v.client_data_json_bytes().is_empty(), "{}", v.id);
            let _ = (v.challenge(), v.valid_at_time());
        }
        assert_eq!(vector("w3c-none-es256").format, "none");
        assert_eq!(vector_json("w3c-none-es256")["format"], "none");
        assert_eq!(vectors_json().len(), vectors().len());
    }
}
