//! The generated `mdsd.v1` protobuf types and tonic service/client, and the encoded descriptor
//! set for server reflection. Only [`super::grpc`] converts between these and core types.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("mdsd.v1");

/// The encoded `FileDescriptorSet` of proto/mdsd/v1/mdsd.proto (with its imports), for
/// `tonic_reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/mdsd_descriptor.bin"));

/// google/rpc/status.proto and google/rpc/error_details.proto (with their imports), for the
/// reflection service: generic clients (grpcurl) decode mdsd's error details with them. The
/// set tonic-types ships names the two files without their directory; they are renamed to
/// the paths every other copy uses, so a client that already knows them sees no conflict.
pub fn error_details_descriptor_set() -> Result<prost_types::FileDescriptorSet, prost::DecodeError>
{
    use prost::Message;
    let mut fds = prost_types::FileDescriptorSet::decode(tonic_types::pb::FILE_DESCRIPTOR_SET)?;
    let canonical = |name: &str| match name {
        "status.proto" => "google/rpc/status.proto".to_string(),
        "error_details.proto" => "google/rpc/error_details.proto".to_string(),
        other => other.to_string(),
    };
    for file in &mut fds.file {
        file.name = file.name.as_deref().map(canonical);
        for dependency in &mut file.dependency {
            *dependency = canonical(dependency);
        }
    }
    Ok(fds)
}

#[cfg(test)]
mod tests {
    use prost::Message;

    #[test]
    fn error_details_files_have_their_canonical_paths() {
        let fds = super::error_details_descriptor_set().unwrap();
        let names: Vec<&str> = fds.file.iter().map(|f| f.name()).collect();
        assert!(names.contains(&"google/rpc/status.proto"), "{names:?}");
        assert!(names.contains(&"google/rpc/error_details.proto"), "{names:?}");
        let details = fds.file.iter().find(|f| f.name() == "google/rpc/error_details.proto");
        let messages: Vec<&str> = details.unwrap().message_type.iter().map(|m| m.name()).collect();
        assert!(messages.contains(&"ErrorInfo") && messages.contains(&"BadRequest"));
    }

    /// The names clients and checks rely on (issue #4): a rename in the proto fails here.
    #[test]
    fn descriptor_has_the_contracted_names() {
        let fds = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let file = fds.file.iter().find(|f| f.package() == "mdsd.v1").unwrap();
        let service = file.service.iter().find(|s| s.name() == "AttestationService").unwrap();
        let methods: Vec<&str> = service.method.iter().map(|m| m.name()).collect();
        assert_eq!(
            methods,
            [
                "VerifyRegistration",
                "ValidateAttestationChain",
                "GetAuthenticator",
                "ListAuthenticators",
                "GetMetadataInfo",
                "EvaluateAuthentication",
                "CheckCredentials",
                "WatchStatusChanges"
            ]
        );
        let message = |name: &str| file.message_type.iter().find(|m| m.name() == name).unwrap();
        let field_type = |msg: &str, field: &str| {
            let f = message(msg).field.iter().find(|f| f.name() == field);
            let f = f.unwrap_or_else(|| panic!("{msg}.{field} missing"));
            (f.r#type(), f.label(), f.type_name().to_string())
        };
        use prost_types::field_descriptor_proto::{Label, Type};
        let req = "VerifyRegistrationRequest";
        assert_eq!(field_type(req, "attestation_object").0, Type::Bytes);
        assert_eq!(field_type(req, "client_data_json").0, Type::Bytes);
        assert_eq!(field_type(req, "rp_id").0, Type::String);
        assert_eq!(field_type(req, "origins").0, Type::String);
        assert_eq!(field_type(req, "origins").1, Label::Repeated);
        assert_eq!(field_type(req, "challenge").0, Type::Bytes);
        assert_eq!(field_type(req, "require_user_verification").0, Type::Bool);
        let resp = "VerifyRegistrationResponse";
        assert_eq!(field_type(resp, "verdict").2, ".mdsd.v1.Verdict");
        assert_eq!(field_type(resp, "trusted").0, Type::Bool);
        assert_eq!(field_type(resp, "format").0, Type::String);
        assert_eq!(field_type(resp, "attestation_type").0, Type::String);
        assert_eq!(field_type(resp, "aaguid").0, Type::String);
        assert_eq!(field_type(resp, "credential_kind").2, ".mdsd.v1.CredentialKind");
        assert_eq!(field_type(resp, "reasons").1, Label::Repeated);
        assert_eq!(field_type(resp, "reasons").2, ".mdsd.v1.Reason");
        assert_eq!(field_type(resp, "metadata_no").0, Type::Uint64);
        assert_eq!(field_type("Reason", "code").0, Type::String);
        assert_eq!(field_type("Reason", "message").0, Type::String);
        let verdict = file.enum_type.iter().find(|e| e.name() == "Verdict").unwrap();
        let values: Vec<&str> = verdict.value.iter().map(|v| v.name()).collect();
        assert!(values.contains(&"ACCEPTED") && values.contains(&"REJECTED"), "{values:?}");
    }

    /// Every message, field, enum value and RPC carries a comment (the proto is the API
    /// reference): source info paths of undocumented elements are listed.
    #[test]
    fn every_element_is_documented() {
        let fds = prost_types::FileDescriptorSet::decode(super::FILE_DESCRIPTOR_SET).unwrap();
        let file = fds.file.iter().find(|f| f.package() == "mdsd.v1").unwrap();
        let info = file.source_code_info.as_ref().unwrap();
        let documented = |path: &[i32]| {
            info.location.iter().any(|l| l.path == path && !l.leading_comments().trim().is_empty())
        };
        let mut missing = Vec::new();
        // FileDescriptorProto: message_type = 4, enum_type = 5, service = 6;
        // DescriptorProto.field = 2; EnumDescriptorProto.value = 2; ServiceDescriptorProto.method = 2.
        for (mi, m) in file.message_type.iter().enumerate() {
            for (fi, f) in m.field.iter().enumerate() {
                if !documented(&[4, mi as i32, 2, fi as i32]) {
                    missing.push(format!("{}.{}", m.name(), f.name()));
                }
            }
        }
        for (ei, e) in file.enum_type.iter().enumerate() {
            for (vi, v) in e.value.iter().enumerate() {
                if !documented(&[5, ei as i32, 2, vi as i32]) {
                    missing.push(format!("{}.{}", e.name(), v.name()));
                }
            }
        }
        for (si, s) in file.service.iter().enumerate() {
            for (ri, r) in s.method.iter().enumerate() {
                if !documented(&[6, si as i32, 2, ri as i32]) {
                    missing.push(format!("{}.{}", s.name(), r.name()));
                }
            }
        }
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }
}
