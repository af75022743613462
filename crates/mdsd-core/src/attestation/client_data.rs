//! Registration ceremony checks on clientDataJSON and authenticatorData (WebAuthn L3 §7.1 steps
//! 5–16), performed only for the expectations the caller gives.

use base64::Engine;
use serde::Deserialize;

use super::auth_data::AuthenticatorData;
use super::reason::{Reason, ReasonCode};
use crate::crypto::sha256;

/// Most bytes of clientDataJSON accepted ([`crate::limits::CLIENT_DATA_BYTES`]).
pub const MAX_CLIENT_DATA_LEN: usize = crate::limits::CLIENT_DATA_BYTES.max;

/// What the relying party expects of this registration. Only the expectations given are checked;
/// whenever any is given, clientDataJSON is parsed and its `type` must be `webauthn.create`.
///
/// The default requires user presence (WebAuthn L3 §7.1 step 14), as the gRPC API and the CLI
/// do unless told otherwise: one default everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The RP ID; authenticatorData.rpIdHash must equal SHA-256 of it (§7.1 step 13).
    pub rp_id: Option<String>,
    /// Acceptable origins; clientDataJSON.origin must equal one of them (§7.1 step 9). Empty:
    /// not checked.
    pub origins: Vec<String>,
    /// The challenge the RP issued (raw bytes); must equal clientDataJSON.challenge (step 8).
    pub challenge: Option<Vec<u8>>,
    /// Cross-origin creation (§7.1 step 10). `None`: not checked. `Some(list)`: a
    /// clientDataJSON with `crossOrigin: true` or a `topOrigin` is accepted only when
    /// `topOrigin` is one of `list` (so `Some(vec![])` refuses every cross-origin creation).
    pub top_origins: Option<Vec<String>>,
    /// Require the UP flag (§7.1 step 14).
    pub require_user_presence: bool,
    /// Require the UV flag (§7.1 step 15).
    pub require_user_verification: bool,
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            rp_id: None,
            origins: Vec::new(),
            challenge: None,
            top_origins: None,
            require_user_presence: true,
            require_user_verification: false,
        }
    }
}

/// CollectedClientData (WebAuthn L3 §5.8.1), the fields mdsd reads.
#[derive(Debug, Clone, Deserialize)]
pub struct CollectedClientData {
    #[serde(rename = "type")]
    pub type_: String,
    pub challenge: String,
    pub origin: String,
    #[serde(rename = "crossOrigin", default)]
    pub cross_origin: Option<bool>,
    #[serde(rename = "topOrigin", default)]
    pub top_origin: Option<String>,
    #[serde(rename = "tokenBinding", default)]
    pub token_binding: Option<serde_json::Value>,
}

/// Parses clientDataJSON (§7.1 steps 5–6: UTF-8 JSON with the required members).
pub fn parse_client_data(bytes: &[u8]) -> Result<CollectedClientData, Reason> {
    if bytes.len() > MAX_CLIENT_DATA_LEN {
        return Err(Reason::new(
            ReasonCode::LimitExceeded,
            format!("clientDataJSON is {} bytes, more than {MAX_CLIENT_DATA_LEN}", bytes.len()),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| Reason::new(ReasonCode::MalformedClientData, format!("clientDataJSON: {e}")))
}

/// Runs the requested checks; returns every failure (empty when all pass).
pub(crate) fn check(
    client_data_json: &[u8],
    auth_data: &AuthenticatorData,
    expect: &Expectations,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let mismatch = |msg: String| Reason::new(ReasonCode::CeremonyMismatch, msg);
    match parse_client_data(client_data_json) {
        Err(r) => reasons.push(r),
        Ok(c) => {
            // Step 7: type is "webauthn.create".
            if c.type_ != "webauthn.create" {
                reasons.push(mismatch(format!(
                    "clientDataJSON.type is {:?}, expected \"webauthn.create\"",
                    c.type_
                )));
            }
            // Step 8: challenge equals the base64url encoding of the issued challenge.
            if let Some(expected) = &expect.challenge {
                let got = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c.challenge.trim_end_matches('='));
                match got {
                    Ok(got) if &got == expected => {}
                    Ok(_) => reasons.push(mismatch(
                        "clientDataJSON.challenge differs from the expected challenge".into(),
                    )),
                    Err(e) => reasons.push(Reason::new(
                        ReasonCode::MalformedClientData,
                        format!("clientDataJSON.challenge is not base64url: {e}"),
                    )),
                }
            }
            // Step 9: origin is one of the expected origins.
            if !expect.origins.is_empty() && !expect.origins.iter().any(|o| o == &c.origin) {
                reasons.push(mismatch(format!(
                    "clientDataJSON.origin {:?} is not one of the expected origins",
                    c.origin
                )));
            }
            // Step 10: cross-origin creation only within the expected top-level origins.
            if let Some(allowed) = &expect.top_origins {
                let cross = c.cross_origin == Some(true) || c.top_origin.is_some();
                if cross {
                    match &c.top_origin {
                        Some(top) if allowed.iter().any(|a| a == top) => {}
                        Some(top) => reasons.push(mismatch(format!(
                            "clientDataJSON.topOrigin {top:?} is not an expected top-level origin"
                        ))),
                        None => reasons.push(mismatch(
                            "clientDataJSON.crossOrigin is true but no topOrigin is given".into(),
                        )),
                    }
                }
            }
            // L2 §5.8.1 (Token Binding, dropped in L3): a tokenBinding object must carry a
            // known status. Non-object values (old browsers sent "unused") are tolerated.
            if let Some(tb @ serde_json::Value::Object(_)) = &c.token_binding {
                let status = tb.get("status").and_then(|s| s.as_str());
                if !matches!(status, Some("present" | "supported")) {
                    reasons.push(Reason::new(
                        ReasonCode::MalformedClientData,
                        format!("clientDataJSON.tokenBinding.status {status:?} is not present|supported"),
                    ));
                }
            }
        }
    }
    // Step 13: rpIdHash is SHA-256 of the RP ID.
    if let Some(rp_id) = &expect.rp_id {
        if sha256(rp_id.as_bytes()) != auth_data.rp_id_hash {
            reasons.push(mismatch(format!(
                "authenticatorData.rpIdHash is not SHA-256 of the RP ID {rp_id:?}"
            )));
        }
    }
    // Steps 14–15: UP and UV as required.
    if expect.require_user_presence && !auth_data.flags.user_present() {
        reasons.push(mismatch("user presence (UP) required but the flag is not set".into()));
    }
    if expect.require_user_verification && !auth_data.flags.user_verified() {
        reasons.push(mismatch("user verification (UV) required but the flag is not set".into()));
    }
    reasons
}
