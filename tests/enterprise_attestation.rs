//! Issue #15, enterprise attestation: the FIDO serial-number extension
//! (1.3.6.1.4.1.45724.1.1.2, WebAuthn L3 §8.2.2) read from the validated attestation leaf, in
//! the core and through VerifyRegistration, where it is returned only when the relying party
//! asked for enterprise attestation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use gen::{make, EntrySpec, Fmt, Made, Opts};
use mdsd::attestation::{
    AttestationResult, Expectations, ReasonCode, RegistrationInput, Verifier,
    OID_FIDO_SERIAL_NUMBER,
};
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{VerifyRegistrationRequest, VerifyRegistrationResponse};
use mdsd::daemon::server::start;
use mdsd_test_support::attestation as gen;
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use mdsd_test_support::pki::t;
use tonic::transport::Channel;

const SERNUM: [u64; 10] = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 2];

fn with_serial(ext_value: &[u8]) -> Made {
    let opts = Opts {
        leaf_extensions: vec![(SERNUM.to_vec(), false, ext_value.to_vec())],
        ..Opts::default()
    };
    make(Fmt::Packed, &opts, None)
}

fn verify(made: &Made, trusted_root: bool) -> AttestationResult {
    let exp = Expectations {
        rp_id: Some(gen::RP_ID.into()),
        origins: vec![gen::ORIGIN.into()],
        challenge: Some(gen::CHALLENGE.to_vec()),
        top_origins: None,
        require_user_presence: true,
        require_user_verification: false,
    };
    let entry = EntrySpec::new(Some(made.aaguid), "Enterprise key", vec![&made.root]);
    let store = gen::store(1, &[entry]);
    let input = RegistrationInput {
        attestation_object: &made.attestation_object,
        client_data_json: &made.client_data_json,
        expectations: Some(&exp),
    };
    let store = trusted_root.then_some(&store);
    Verifier::default().verify_registration(&input, store, t(2025, 6, 1))
}

#[test]
fn the_serial_number_of_the_validated_leaf_is_read() {
    assert_eq!(OID_FIDO_SERIAL_NUMBER, "1.3.6.1.4.1.45724.1.1.2");
    let r = verify(&with_serial(&[0x04, 0x04, 0xde, 0xad, 0xbe, 0xef]), true);
    assert!(r.trusted, "{:?}", r.reasons);
    assert_eq!(r.serial_number.as_deref(), Some(&[0xde, 0xad, 0xbe, 0xef][..]));
    assert!(r.notes.is_empty(), "{:?}", r.notes);

    // No chain validated (no metadata, no anchor): nothing is read from the certificate.
    let r = verify(&with_serial(&[0x04, 0x02, 0x01, 0x02]), false);
    assert!(r.statement_valid && !r.trusted);
    assert_eq!(r.serial_number, None);

    // Without the extension (an ordinary attestation): none.
    let r = verify(&make(Fmt::Packed, &Opts::default(), None), true);
    assert!(r.trusted);
    assert_eq!(r.serial_number, None);
}

#[test]
fn a_malformed_serial_number_is_a_note_and_not_returned() {
    for bad in [
        &[0x04, 0x05, 0x01, 0x02][..], // length beyond the value
        &[0x04, 0x00][..],             // empty
        &[0x02, 0x01, 0x07][..],       // an INTEGER, not an OCTET STRING
        &[0x04, 0x01, 0x07, 0x00][..], // trailing bytes
    ] {
        let r = verify(&with_serial(bad), true);
        assert!(r.trusted, "a malformed serial does not decide trust: {:?}", r.reasons);
        assert_eq!(r.serial_number, None, "{bad:02x?}");
        assert_eq!(r.notes.len(), 1, "{bad:02x?}: {:?}", r.notes);
        assert_eq!(r.notes[0].code, ReasonCode::SerialNumberMalformed);
        assert!(r.notes[0].message.contains(&hex::encode(bad)), "{}", r.notes[0].message);
    }
}

/// Over gRPC the serial is returned only when the request asks for enterprise attestation.
#[tokio::test]
async fn verify_registration_returns_the_serial_only_when_asked() {
    let made = with_serial(&[0x04, 0x03, 0x0a, 0x0b, 0x0c]);
    let env = MdsEnv::start("enterprise-attestation").await;
    let entry = EntrySpec::new(Some(made.aaguid), "Enterprise key", vec![&made.root]);
    env.serve_blob(5, env.blob(5, in_days(30), vec![entry.json()]));
    let running = start(env.config()).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while running.shared.current().is_none() {
        assert!(std::time::Instant::now() < deadline, "{:?}", running.shared.status());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let channel = Channel::from_shared(format!("http://{}", running.grpc_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = AttestationServiceClient::new(channel);
    let ask = |enterprise_attestation| VerifyRegistrationRequest {
        attestation_object: made.attestation_object.clone(),
        client_data_json: made.client_data_json.clone(),
        enterprise_attestation,
        ..Default::default()
    };
    let r: VerifyRegistrationResponse =
        client.verify_registration(ask(true)).await.unwrap().into_inner();
    assert!(r.trusted, "{:?}", r.reasons);
    assert_eq!(r.serial_number, vec![0x0a, 0x0b, 0x0c]);
    let r = client.verify_registration(ask(false)).await.unwrap().into_inner();
    assert!(r.trusted);
    assert!(r.serial_number.is_empty());
    running.shutdown().await;
}
