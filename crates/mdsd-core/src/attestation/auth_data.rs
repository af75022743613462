//! authenticatorData (WebAuthn L3 §6.1): rpIdHash ‖ flags ‖ signCount ‖ [attestedCredentialData]
//! ‖ [extensions].

use uuid::Uuid;

use super::cose::CoseKey;
use super::cose::{check_no_duplicate_keys, decode_prefix};
use super::reason::{Reason, ReasonCode};

/// The flags byte (WebAuthn L3 §6.1, "flags").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    pub const UP: u8 = 0x01;
    pub const UV: u8 = 0x04;
    pub const BE: u8 = 0x08;
    pub const BS: u8 = 0x10;
    pub const AT: u8 = 0x40;
    pub const ED: u8 = 0x80;
    pub fn user_present(&self) -> bool {
        self.0 & Self::UP != 0
    }
    pub fn user_verified(&self) -> bool {
        self.0 & Self::UV != 0
    }
    pub fn backup_eligible(&self) -> bool {
        self.0 & Self::BE != 0
    }
    pub fn backed_up(&self) -> bool {
        self.0 & Self::BS != 0
    }
    pub fn attested_credential_data(&self) -> bool {
        self.0 & Self::AT != 0
    }
    pub fn extension_data(&self) -> bool {
        self.0 & Self::ED != 0
    }
}

/// attestedCredentialData (WebAuthn L3 §6.5.2).
#[derive(Debug, Clone)]
pub struct AttestedCredential {
    pub aaguid: Uuid,
    pub credential_id: Vec<u8>,
    pub public_key: CoseKey,
}

/// Parsed authenticatorData.
#[derive(Debug, Clone)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: Flags,
    pub sign_count: u32,
    pub attested_credential: Option<AttestedCredential>,
    /// The extensions CBOR map, raw, when ED is set.
    pub extensions: Option<Vec<u8>>,
}

/// Most bytes a credential id may have (WebAuthn L3 §6.5.2: credentialIdLength ≤ 1023).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;
/// Nesting limit for the extensions map.
pub const EXTENSIONS_MAX_DEPTH: usize = 16;

/// Fixed-size prefix: rpIdHash(32) ‖ flags(1) ‖ signCount(4).
const HEADER_LEN: usize = 37;

impl AuthenticatorData {
    /// Parses authenticatorData bytes; rejects truncation, trailing bytes, BS without BE.
    pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, Reason> {
        // WebAuthn L3 §6.1: rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian).
        let (header, mut rest) = match bytes.split_at_checked(HEADER_LEN) {
            Some(parts) => parts,
            None => {
                return Err(malformed(format!(
                    "authenticatorData is {} bytes, shorter than the 37-byte minimum",
                    bytes.len()
                )))
            }
        };
        let mut rp_id_hash = [0u8; 32];
        rp_id_hash.copy_from_slice(header.get(..32).unwrap_or_default());
        let flags = Flags(header.get(32).copied().unwrap_or_default());
        let mut count = [0u8; 4];
        count.copy_from_slice(header.get(33..37).unwrap_or_default());
        let sign_count = u32::from_be_bytes(count);

        // WebAuthn L3 §6.1 "flags" bit 4: BS may be set only when BE is set.
        if flags.backed_up() && !flags.backup_eligible() {
            return Err(malformed("flag BS (backed up) is set without BE (backup eligible)"));
        }

        // WebAuthn L3 §6.5.2: attestedCredentialData present iff AT.
        let attested_credential = if flags.attested_credential_data() {
            let (credential, after) = parse_attested(rest)?;
            rest = after;
            Some(credential)
        } else {
            None
        };

        // WebAuthn L3 §6.1 / §9: extensions present iff ED, exactly one CBOR map.
        let extensions = if flags.extension_data() {
            if rest.is_empty() {
                return Err(malformed("flag ED is set but there are no extension data"));
            }
            let (value, consumed) = decode_prefix(rest, EXTENSIONS_MAX_DEPTH)
                .map_err(|e| malformed(format!("extensions: {e}")))?;
            if !matches!(value, ciborium::Value::Map(_)) {
                return Err(malformed("extensions are not a CBOR map"));
            }
            check_no_duplicate_keys(&value).map_err(|e| malformed(format!("extensions: {e}")))?;
            let (ext, after) = rest.split_at_checked(consumed).unwrap_or((rest, &[]));
            rest = after;
            Some(ext.to_vec())
        } else {
            None
        };

        if !rest.is_empty() {
            let hint = if flags.attested_credential_data() {
                " (after the credential public key; a malformed COSE_Key or ED not set?)"
            } else {
                " (AT not set but attested credential data present?)"
            };
            return Err(malformed(format!(
                "{} trailing bytes after authenticatorData{hint}",
                rest.len()
            )));
        }
        Ok(AuthenticatorData { rp_id_hash, flags, sign_count, attested_credential, extensions })
    }

    /// The AAGUID, or the nil UUID when there is no attested credential data.
    pub fn aaguid(&self) -> Uuid {
        self.attested_credential.as_ref().map(|c| c.aaguid).unwrap_or(Uuid::nil())
    }
}

/// attestedCredentialData (WebAuthn L3 §6.5.2): aaguid(16) ‖ credentialIdLength(2) ‖
/// credentialId ‖ credentialPublicKey; returns the rest.
fn parse_attested(bytes: &[u8]) -> Result<(AttestedCredential, &[u8]), Reason> {
    let (aaguid, rest) = bytes
        .split_at_checked(16)
        .ok_or_else(|| malformed("attested credential data truncated in the AAGUID"))?;
    let aaguid = Uuid::from_slice(aaguid).map_err(|e| malformed(format!("AAGUID: {e}")))?;
    let (len, rest) = rest
        .split_at_checked(2)
        .ok_or_else(|| malformed("attested credential data truncated in credentialIdLength"))?;
    let len = usize::from(u16::from_be_bytes([
        len.first().copied().unwrap_or_default(),
        len.get(1).copied().unwrap_or_default(),
    ]));
    if len > MAX_CREDENTIAL_ID_LEN {
        return Err(malformed(format!(
            "credentialIdLength {len} exceeds the maximum of {MAX_CREDENTIAL_ID_LEN}"
        )));
    }
    let (credential_id, rest) = rest.split_at_checked(len).ok_or_else(|| {
        malformed(format!("credential id of {len} bytes is truncated ({} available)", rest.len()))
    })?;
    if rest.is_empty() {
        return Err(malformed("attested credential data lacks the credential public key"));
    }
    let (public_key, consumed) = CoseKey::parse_prefix(rest)?;
    let rest = rest.get(consumed..).unwrap_or_default();
    Ok((AttestedCredential { aaguid, credential_id: credential_id.to_vec(), public_key }, rest))
}

fn malformed(msg: impl Into<String>) -> Reason {
    Reason::new(ReasonCode::MalformedAuthenticatorData, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cose_es256() -> Vec<u8> {
        let i = |n: i64| ciborium::Value::Integer(n.into());
        let v = ciborium::Value::Map(vec![
            (i(1), i(2)),
            (i(3), i(-7)),
            (i(-1), i(1)),
            (i(-2), ciborium::Value::Bytes(vec![1; 32])),
            (i(-3), ciborium::Value::Bytes(vec![2; 32])),
        ]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&v, &mut out).unwrap();
        out
    }

    fn build(flags: u8, cred_id_len: usize, ext: Option<&[u8]>) -> Vec<u8> {
        let mut out = vec![7u8; 32];
        out.push(flags);
        out.extend_from_slice(&42u32.to_be_bytes());
        if flags & Flags::AT != 0 {
            out.extend_from_slice(&[9u8; 16]);
            out.extend_from_slice(&(cred_id_len as u16).to_be_bytes());
            out.extend(std::iter::repeat_n(5u8, cred_id_len));
            out.extend_from_slice(&cose_es256());
        }
        if let Some(ext) = ext {
            out.extend_from_slice(ext);
        }
        out
    }

    #[test]
    fn parses_attested_credential() {
        let ad = AuthenticatorData::parse(&build(Flags::UP | Flags::AT, 16, None)).unwrap();
        assert_eq!(ad.sign_count, 42);
        assert_eq!(ad.rp_id_hash, [7; 32]);
        let c = ad.attested_credential.unwrap();
        assert_eq!(c.credential_id, vec![5; 16]);
        assert_eq!(c.aaguid, Uuid::from_bytes([9; 16]));
        assert_eq!(c.public_key.alg, -7);
    }

    #[test]
    fn truncation_anywhere_is_rejected() {
        let full = build(Flags::UP | Flags::AT, 16, None);
        for cut in 0..full.len() {
            let err = AuthenticatorData::parse(&full[..cut]).unwrap_err();
            assert!(
                matches!(
                    err.code,
                    ReasonCode::MalformedAuthenticatorData | ReasonCode::MalformedCredentialKey
                ),
                "cut {cut}: {err}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut bytes = build(Flags::UP | Flags::AT, 16, None);
        bytes.push(0);
        let err = AuthenticatorData::parse(&bytes).unwrap_err();
        assert!(err.message.contains("trailing"), "{err}");
        let mut bytes = build(Flags::UP, 0, None);
        bytes.push(0);
        assert!(AuthenticatorData::parse(&bytes).is_err());
    }

    #[test]
    fn bs_without_be_is_rejected() {
        let err = AuthenticatorData::parse(&build(Flags::UP | Flags::AT | Flags::BS, 16, None))
            .unwrap_err();
        assert!(err.message.contains("BS"), "{err}");
        let ok = AuthenticatorData::parse(&build(
            Flags::UP | Flags::AT | Flags::BS | Flags::BE,
            16,
            None,
        ))
        .unwrap();
        assert!(ok.flags.backed_up());
    }

    #[test]
    fn credential_id_length_is_bounded() {
        let err = AuthenticatorData::parse(&build(Flags::UP | Flags::AT, 1024, None)).unwrap_err();
        assert!(err.message.contains("1023"), "{err}");
        assert!(AuthenticatorData::parse(&build(Flags::UP | Flags::AT, 1023, None)).is_ok());
    }

    #[test]
    fn extensions_must_be_one_map() {
        let ext_map = [0xa1, 0x61, b'a', 0xf5]; // {"a": true}
        let ad =
            AuthenticatorData::parse(&build(Flags::UP | Flags::AT | Flags::ED, 4, Some(&ext_map)))
                .unwrap();
        assert_eq!(ad.extensions.as_deref(), Some(&ext_map[..]));
        // ED set, no extensions.
        assert!(
            AuthenticatorData::parse(&build(Flags::UP | Flags::AT | Flags::ED, 4, None)).is_err()
        );
        // Extensions present, ED not set.
        assert!(AuthenticatorData::parse(&build(Flags::UP | Flags::AT, 4, Some(&ext_map))).is_err());
        // Not a map.
        assert!(AuthenticatorData::parse(&build(Flags::UP | Flags::ED, 0, Some(&[0x01]))).is_err());
        // Two maps.
        assert!(AuthenticatorData::parse(&build(Flags::UP | Flags::ED, 0, Some(&[0xa0, 0xa0])))
            .is_err());
    }
}
