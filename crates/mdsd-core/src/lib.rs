//! The verification core of mdsd: verified FIDO MDS3 metadata and WebAuthn attestation
//! verification, as a library a relying party can use without running the daemon.
//!
//! Pure by construction: no I/O, no clock, no environment, no async runtime. Every function takes
//! bytes and `now` and returns values (the crate's `clippy.toml` disallows reading the clock and
//! the environment, and its dependency tree holds no runtime, network or server crate).
//!
//! - [`crypto`]: public keys and the one `PublicKey::verify` every signature goes through.
//! - [`x509`]: certificates, path building to trust anchors, CRLs.
//! - [`mds`]: the MDS3 BLOB (JWS, signing chain, CRLs, payload, rollback) → a [`trust_store::TrustStore`].
//! - [`trust_store`]: the immutable snapshot of entries, indexes and status rules.
//! - [`attestation`]: WebAuthn attestation statements of every format, judged against the store.
//! - [`policy`]: passkey profiles (the Entra ID model) decided on verified facts.
//! - [`registration`]: a registration verified and decided in one call.
//! - [`catalog`]: entries by key or filtered, with their status at `now`.
//! - [`credentials`]: stored credentials re-judged under today's metadata.
//! - [`changes`]: the status changes between two trust stores.
//! - [`passkey_providers`]: display names of passkey providers by AAGUID (community list; names, never evidence).
//! - [`limits`]: request bounds (sizes and counts a request may carry), in one place.
//!
//! # Using the core without the daemon
//!
//! A relying party that verified nothing else yet: judge a registration (here the W3C WebAuthn
//! L3 "packed ES256" test vector) with the ceremony checks, then read what is vouched for. With
//! no trust store the statement verifies but nothing vouches for the model; in production pass
//! the `TrustStore` of a BLOB verified with [`mds::verify_blob`] (or [`mds::inspect`] then
//! `verify`) at the same `now`.
//!
//! ```
//! use base64::Engine;
//! use mdsd_core::attestation::{
//!     Coverage, Expectations, Fact, ReasonCode, RegistrationInput, Verifier,
//! };
//! use time::macros::datetime;
//!
//! let b64 = |parts: &[&str]| {
//!     base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts.concat()).unwrap()
//! };
//! let attestation_object = b64(&[
//!     "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgPxnsSyKfRquMRe_ym5BP8QwDkNxAvxIW8Ep49M66",
//!     "NCUCIQD-cEGjJ1mv8FoPnybHCpmceihEUbqJI0odNIPCXiGSW2N4NWOBWQIlMIICITCCAcigAwIBAgIRAIjCIPg8",
//!     "jvH-r-lN6uRfqtAwCgYIKoZIzj0EAwIwYjEeMBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQK",
//!     "DANXM0MxJTAjBgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFBMCAXDTI0MDEw",
//!     "MTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjBfMR4wHAYDVQQDDBVXZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNV",
//!     "BAoMA1czQzEiMCAGA1UECwwZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjELMAkGA1UEBhMCQUEwWTATBgcqhkjO",
//!     "PQIBBggqhkjOPQMBBwNCAASpG6Q4lAndOKQoFBlAyo_rGsDXtDUFWBBKN3ekkyLzeYRA83izOYqy07t7-RMiyS6y",
//!     "NVb1mtCoNv7Ex2Y7Dk3Do2AwXjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB_wQEAwIHgDAdBgNVHQ4EFgQUpYm6ctBg",
//!     "hCqxH3T7JGve2rFvm5swHwYDVR0jBBgwFoAURa_3FbDdeGdB_umW68FlR6OTGx4wCgYIKoZIzj0EAwIDRwAwRAIg",
//!     "Fya52F7Nil7VEWNyLKOiCIb9myQqCqBFPUQhFgdd79UCIH70ceUwrIeWGoin8NDBewkf_GuSONMPefY1tBe-WRDn",
//!     "aGF1dGhEYXRhWKS_q8N0MpWLBjNg061kYcnEc1rn-O3UZZKl4PAUUrLktU0AAAAAh2yk9SBxw-myVQnvLN9-1gAg",
//!     "yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKWlAQIDJiABIVggHPJ_JdpZEgikI5wuMk8QT1hVJUeaKe3u",
//!     "3YMPSOd66uUiWCBZ5LfabAEG4gbOOQyTq5ihWl7DiH5X8Mwr7OgDuSDEIw",
//! ]);
//! let client_data_json = b64(&[
//!     "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoid1JoS1g5MzRCRjRUM0VmMVMySDFwbGEyWnJX",
//!     "UUdQRnRodzZTVnVtVklCSSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFs",
//!     "c2UsImV4dHJhRGF0YSI6ImNsaWVudERhdGFKU09OIG1heSBiZSBleHRlbmRlZCB3aXRoIGFkZGl0aW9uYWwgZmll",
//!     "bGRzIGluIHRoZSBmdXR1cmUsIHN1Y2ggYXMgdGhpczogOWE4Yk5ZaktDZ1dyQlhVLWZDbDFhZyJ9",
//! ]);
//! let expectations = Expectations {
//!     rp_id: Some("example.org".into()),
//!     origins: vec!["https://example.org".into()],
//!     challenge: Some(b64(&["wRhKX934BF4T3Ef1S2H1pla2ZrWQGPFthw6SVumVIBI"])),
//!     ..Expectations::default() // requires user presence
//! };
//! let input = RegistrationInput {
//!     attestation_object: &attestation_object,
//!     client_data_json: &client_data_json,
//!     expectations: Some(&expectations),
//! };
//! // Time is an input: the attestation certificate is judged at this instant.
//! let now = datetime!(2024-07-02 0:00 UTC);
//! let result = Verifier::default().verify_registration(&input, None, now);
//!
//! assert!(result.statement_valid);
//! assert!(!result.trusted); // no metadata entry, no operator anchor
//! assert_eq!(result.reasons[0].code, ReasonCode::MetadataNotFound);
//! // The packed signature covers all of authenticatorData, but an untrusted answer vouches for
//! // nothing: every fact is the client's claim, and there is no key to store.
//! assert_eq!(result.provenance.coverage, Some(Coverage::AuthenticatorData));
//! assert!(!result.provenance.verified(Fact::Aaguid));
//! assert_eq!(result.metadata_key(), None);
//! ```
//!
//! Passkey profiles decide on the verified facts only:
//!
//! ```
//! use mdsd_core::attestation::{RegistrationInput, Verifier};
//! use mdsd_core::policy::{PolicyConfig, RegistrationFacts};
//! # use base64::Engine;
//! # let b64 = |parts: &[&str]| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts.concat()).unwrap();
//! # let attestation_object = b64(&[
//! #     "o2NmbXRmcGFja2VkZ2F0dFN0bXSjY2FsZyZjc2lnWEcwRQIgPxnsSyKfRquMRe_ym5BP8QwDkNxAvxIW8Ep49M66",
//! #     "NCUCIQD-cEGjJ1mv8FoPnybHCpmceihEUbqJI0odNIPCXiGSW2N4NWOBWQIlMIICITCCAcigAwIBAgIRAIjCIPg8",
//! #     "jvH-r-lN6uRfqtAwCgYIKoZIzj0EAwIwYjEeMBwGA1UEAwwVV2ViQXV0aG4gdGVzdCB2ZWN0b3JzMQwwCgYDVQQK",
//! #     "DANXM0MxJTAjBgNVBAsMHEF1dGhlbnRpY2F0b3IgQXR0ZXN0YXRpb24gQ0ExCzAJBgNVBAYTAkFBMCAXDTI0MDEw",
//! #     "MTAwMDAwMFoYDzMwMjQwMTAxMDAwMDAwWjBfMR4wHAYDVQQDDBVXZWJBdXRobiB0ZXN0IHZlY3RvcnMxDDAKBgNV",
//! #     "BAoMA1czQzEiMCAGA1UECwwZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjELMAkGA1UEBhMCQUEwWTATBgcqhkjO",
//! #     "PQIBBggqhkjOPQMBBwNCAASpG6Q4lAndOKQoFBlAyo_rGsDXtDUFWBBKN3ekkyLzeYRA83izOYqy07t7-RMiyS6y",
//! #     "NVb1mtCoNv7Ex2Y7Dk3Do2AwXjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB_wQEAwIHgDAdBgNVHQ4EFgQUpYm6ctBg",
//! #     "hCqxH3T7JGve2rFvm5swHwYDVR0jBBgwFoAURa_3FbDdeGdB_umW68FlR6OTGx4wCgYIKoZIzj0EAwIDRwAwRAIg",
//! #     "Fya52F7Nil7VEWNyLKOiCIb9myQqCqBFPUQhFgdd79UCIH70ceUwrIeWGoin8NDBewkf_GuSONMPefY1tBe-WRDn",
//! #     "aGF1dGhEYXRhWKS_q8N0MpWLBjNg061kYcnEc1rn-O3UZZKl4PAUUrLktU0AAAAAh2yk9SBxw-myVQnvLN9-1gAg",
//! #     "yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKWlAQIDJiABIVggHPJ_JdpZEgikI5wuMk8QT1hVJUeaKe3u",
//! #     "3YMPSOd66uUiWCBZ5LfabAEG4gbOOQyTq5ihWl7DiH5X8Mwr7OgDuSDEIw",
//! # ]);
//! # let client_data_json = b64(&[
//! #     "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoid1JoS1g5MzRCRjRUM0VmMVMySDFwbGEyWnJX",
//! #     "UUdQRnRodzZTVnVtVklCSSIsIm9yaWdpbiI6Imh0dHBzOi8vZXhhbXBsZS5vcmciLCJjcm9zc09yaWdpbiI6ZmFs",
//! #     "c2UsImV4dHJhRGF0YSI6ImNsaWVudERhdGFKU09OIG1heSBiZSBleHRlbmRlZCB3aXRoIGFkZGl0aW9uYWwgZmll",
//! #     "bGRzIGluIHRoZSBmdXR1cmUsIHN1Y2ggYXMgdGhpczogOWE4Yk5ZaktDZ1dyQlhVLWZDbDFhZyJ9",
//! # ]);
//! let config: PolicyConfig = toml::from_str(r#"
//!     [[profiles]]
//!     name = "privileged"
//!     include_groups = ["admins"]
//!     attestation_enforcement = "registration_only"
//!     passkey_types = ["device_bound"]
//! "#).unwrap();
//! let policy = config.build().unwrap();
//! let input = RegistrationInput {
//!     attestation_object: &attestation_object,
//!     client_data_json: &client_data_json,
//!     expectations: None,
//! };
//! let now = time::macros::datetime!(2024-07-02 0:00 UTC);
//! let result = Verifier::default().verify_registration(&input, None, now);
//! let facts = RegistrationFacts::from_attestation(&result, now);
//! let decision = policy.evaluate_registration(&facts, &["admins".to_string()]);
//! assert!(!decision.allowed);
//! assert!(decision.failure_codes().iter().any(|c| c.as_str() == "ATTESTATION_REQUIRED"));
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

pub mod attestation;
pub mod catalog;
pub mod changes;
pub mod credentials;
pub mod crypto;
pub mod limits;
pub mod mds;
pub mod passkey_providers;
pub mod policy;
pub mod registration;
pub mod trust_store;
pub mod x509;
