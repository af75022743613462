//! GetAuthenticator and ListAuthenticators: the lookup key, full entries, page tokens.

use base64::Engine;

use super::super::super::proto;
use super::{parse_aaguid, parse_key_identifier, status_name, ApiError, EntryKey};
use crate::catalog::Listing;

/// Checks a GetAuthenticatorRequest.
pub fn lookup_key(req: proto::GetAuthenticatorRequest) -> Result<EntryKey, ApiError> {
    use proto::get_authenticator_request::Key;
    match req.key {
        Some(Key::Aaguid(s)) => Ok(EntryKey::Aaguid(parse_aaguid("aaguid", &s)?)),
        Some(Key::KeyIdentifier(s)) => {
            Ok(EntryKey::KeyIdentifier(parse_key_identifier("key_identifier", &s)?))
        }
        Some(Key::Aaid(s)) => {
            // UAF AAID: "VVVV#MMMM" (hex vendor and model).
            let ok = s.len() == 9
                && s.as_bytes().get(4) == Some(&b'#')
                && s.chars().enumerate().all(|(i, c)| i == 4 || c.is_ascii_hexdigit());
            if !ok {
                return Err(ApiError::invalid("aaid", format!("{s:?} is not VVVV#MMMM (hex)")));
            }
            Ok(EntryKey::Aaid(s))
        }
        None => Err(ApiError::invalid("key", "one of aaguid, key_identifier or aaid is required")),
    }
}

/// A full entry.
pub fn authenticator(listing: &Listing<'_>, with_json: bool) -> proto::Authenticator {
    let e = listing.entry;
    proto::Authenticator {
        aaguid: e.aaguid().map(|u| u.hyphenated().to_string()).unwrap_or_default(),
        aaid: e.aaid().unwrap_or_default().to_string(),
        key_identifiers: e.key_identifiers().to_vec(),
        description: e.description().unwrap_or_default().to_string(),
        authenticator_version: e.authenticator_version(),
        attestation_types: e.attestation_types().to_vec(),
        key_scope: e.key_scope().unwrap_or_default().to_string(),
        multi_device_credential_support: e
            .multi_device_credential_support()
            .unwrap_or_default()
            .to_string(),
        current_status: status_name(listing.status.map(|s| &s.status)),
        status_reports: e
            .status_reports()
            .iter()
            .map(|s| proto::StatusReport {
                status: s.status.as_str().to_string(),
                effective_date: s.effective_date.map(|d| d.to_string()).unwrap_or_default(),
                authenticator_version: s.authenticator_version,
                certificate: s.certificate.as_ref().map(|c| c.der().to_vec()).unwrap_or_default(),
                url: s.url.clone().unwrap_or_default(),
                certification_descriptor: s.certification_descriptor.clone().unwrap_or_default(),
            })
            .collect(),
        attestation_root_sha256: e.attestation_roots().iter().map(|c| c.sha256_hex()).collect(),
        entry_json: if with_json { e.raw_json().to_string() } else { String::new() },
        origin: Some(super::origin(e.origin())),
    }
}

/// `base64url("v1:<no>:<offset>")`.
pub fn page_token(no: u64, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("v1:{no}:{offset}"))
}

pub fn parse_page_token(token: &str) -> Result<(u64, usize), ApiError> {
    let bad = || ApiError::invalid("page_token", "not a token this server issued");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("v1"), Some(no), Some(offset), None) => {
            Ok((no.parse().map_err(|_| bad())?, offset.parse().map_err(|_| bad())?))
        }
        _ => Err(bad()),
    }
}
