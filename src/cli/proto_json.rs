//! The proto3 JSON mapping of the answers the CLI prints (`mdsd attestation verify --json`):
//! the shape the daemon's clients and grpcurl print for the same message (docs/integrate.md,
//! "One JSON shape"). lowerCamelCase names, enums by name, bytes as standard base64,
//! 64-bit integers as strings, every field without presence at its default value printed,
//! absent messages and unset `optional` fields left out.

use base64::Engine;
use mdsd::attestation::AttestationResult;
use mdsd::daemon::grpc::convert::registration_response;
use mdsd::daemon::proto::{
    AuthenticatorFlags, AuthenticatorSummary, CredentialKind, OriginKind, Provenance, Reason,
    TrustAnchor, Verdict, VerifyRegistrationResponse,
};
use mdsd::policy::RegistrationFacts;
use mdsd::registration::RegistrationVerdict;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

/// The VerifyRegistrationResponse the daemon would send for `result` (no passkey policy, BLOB
/// not stale), in the proto3 JSON mapping.
pub fn registration(
    result: &AttestationResult,
    ceremony_checked: bool,
    now: OffsetDateTime,
) -> Value {
    let trust = RegistrationFacts::from_attestation(result, now).trust;
    let verdict = RegistrationVerdict { result: result.clone(), trust, decision: None };
    let response = registration_response(&verdict, 0, false, ceremony_checked);
    verify_registration_response(&response)
}

fn b64(bytes: &[u8]) -> Value {
    Value::from(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn reasons(list: &[Reason]) -> Value {
    list.iter().map(|r| json!({ "code": r.code, "message": r.message })).collect()
}

fn verify_registration_response(r: &VerifyRegistrationResponse) -> Value {
    let verdict = Verdict::try_from(r.verdict)
        .map_or(Value::from(r.verdict), |v| Value::from(v.as_str_name()));
    let kind = CredentialKind::try_from(r.credential_kind)
        .map_or(Value::from(r.credential_kind), |k| Value::from(k.as_str_name()));
    let mut o = Map::new();
    o.insert("verdict".into(), verdict);
    o.insert("trusted".into(), r.trusted.into());
    o.insert("format".into(), r.format.clone().into());
    o.insert("attestationType".into(), r.attestation_type.clone().into());
    o.insert("aaguid".into(), r.aaguid.clone().into());
    o.insert("credentialKind".into(), kind);
    o.insert("reasons".into(), reasons(&r.reasons));
    o.insert("metadataNo".into(), r.metadata_no.to_string().into());
    o.insert("metadataStale".into(), r.metadata_stale.into());
    o.insert("statementValid".into(), r.statement_valid.into());
    if let Some(a) = &r.authenticator {
        o.insert("authenticator".into(), summary(a));
    }
    o.insert("trustPath".into(), r.trust_path.clone().into());
    if let Some(a) = &r.anchor {
        o.insert("anchor".into(), anchor(a));
    }
    o.insert("credentialId".into(), b64(&r.credential_id));
    o.insert("credentialPublicKey".into(), b64(&r.credential_public_key));
    if let Some(alg) = r.credential_alg {
        o.insert("credentialAlg".into(), alg.to_string().into());
    }
    o.insert("signCount".into(), r.sign_count.into());
    if let Some(f) = &r.flags {
        o.insert("flags".into(), flags(f));
    }
    o.insert("kindConflict".into(), r.kind_conflict.clone().into());
    o.insert("ceremonyChecked".into(), r.ceremony_checked.into());
    // `policy` (a PolicyDecision) is only ever set by a daemon with `[policy]`.
    o.insert("attestationTrust".into(), r.attestation_trust.clone().into());
    if let Some(p) = &r.provenance {
        o.insert("provenance".into(), provenance(p));
    }
    o.insert("notes".into(), reasons(&r.notes));
    if let Some(p) = &r.passkey_provider {
        o.insert(
            "passkeyProvider".into(),
            json!({ "name": p.name, "provenance": p.provenance, "listSource": p.list_source }),
        );
    }
    o.insert("serialNumber".into(), b64(&r.serial_number));
    Value::Object(o)
}

fn summary(a: &AuthenticatorSummary) -> Value {
    let mut out = json!({
        "description": a.description,
        "status": a.status,
        "keyScope": a.key_scope,
        "multiDeviceCredentialSupport": a.multi_device_credential_support,
        "verified": a.verified,
    });
    if let (Some(origin), Value::Object(o)) = (&a.origin, &mut out) {
        let kind = OriginKind::try_from(origin.kind).unwrap_or(OriginKind::Unspecified);
        o.insert("origin".into(), json!({ "kind": kind.as_str_name(), "source": origin.source }));
    }
    out
}

fn anchor(a: &TrustAnchor) -> Value {
    json!({ "sha256": a.sha256, "label": a.label })
}

fn flags(f: &AuthenticatorFlags) -> Value {
    json!({
        "raw": f.raw,
        "userPresent": f.user_present,
        "userVerified": f.user_verified,
        "backupEligible": f.backup_eligible,
        "backedUp": f.backed_up,
        "attestedCredentialData": f.attested_credential_data,
        "extensionData": f.extension_data,
    })
}

fn provenance(p: &Provenance) -> Value {
    use mdsd::daemon::proto::provenance::MetadataKey;
    let mut o = Map::new();
    o.insert("coverage".into(), p.coverage.clone().into());
    o.insert("entrySelectedBy".into(), p.entry_selected_by.clone().into());
    match &p.metadata_key {
        Some(MetadataKey::Aaguid(u)) => {
            o.insert("aaguid".into(), u.clone().into());
        }
        Some(MetadataKey::KeyIdentifier(k)) => {
            o.insert("keyIdentifier".into(), k.clone().into());
        }
        None => {}
    }
    o.insert("claimed".into(), p.claimed.clone().into());
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the message is printed (a new proto field fails here until it is added),
    /// under its proto3 JSON name.
    #[test]
    fn every_field_has_its_json_name() {
        let r = VerifyRegistrationResponse {
            authenticator: Some(AuthenticatorSummary::default()),
            anchor: Some(TrustAnchor::default()),
            credential_alg: Some(-7),
            flags: Some(AuthenticatorFlags::default()),
            provenance: Some(Provenance::default()),
            passkey_provider: Some(mdsd::daemon::proto::PasskeyProvider::default()),
            policy: None,
            ..Default::default()
        };
        let v = verify_registration_response(&r);
        let printed: Vec<&String> = v.as_object().unwrap().keys().collect();
        let fds = <prost_types::FileDescriptorSet as prost::Message>::decode(
            mdsd::daemon::proto::FILE_DESCRIPTOR_SET,
        )
        .unwrap();
        let file = fds.file.iter().find(|f| f.package() == "mdsd.v1").unwrap();
        let message = file.message_type.iter().find(|m| m.name() == "VerifyRegistrationResponse");
        for field in &message.unwrap().field {
            if field.name() == "policy" {
                continue;
            }
            assert!(printed.contains(&&field.json_name().to_string()), "{} missing", field.name());
        }
        assert_eq!(v["credentialAlg"], "-7");
        assert_eq!(v["metadataNo"], "0");
        assert_eq!(v["verdict"], "VERDICT_UNSPECIFIED");
        assert_eq!(v["credentialKind"], "CREDENTIAL_KIND_UNSPECIFIED");
    }

    #[test]
    fn bytes_are_standard_base64_and_keys_a_oneof_member() {
        let r = VerifyRegistrationResponse {
            credential_id: vec![0xfb, 0xff],
            provenance: Some(Provenance {
                metadata_key: Some(mdsd::daemon::proto::provenance::MetadataKey::KeyIdentifier(
                    "ab".into(),
                )),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = verify_registration_response(&r);
        assert_eq!(v["credentialId"], "+/8=");
        assert_eq!(v["provenance"]["keyIdentifier"], "ab");
        assert!(v["provenance"].get("aaguid").is_none());
    }
}
