//! authenticatorData (WebAuthn L3 §6.1): rpIdHash ‖ flags ‖ signCount ‖ [attestedCredentialData]
//! ‖ [extensions].

use uuid::Uuid;

use super::cose::CoseKey;
use super::reason::Reason;

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

impl AuthenticatorData {
    /// Parses authenticatorData bytes; rejects truncation, trailing bytes, BS without BE.
    pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, Reason> {
        let _ = bytes;
        todo!("attestation: AuthenticatorData::parse")
    }
}
