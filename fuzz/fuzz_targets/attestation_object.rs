//! The attestationObject path end to end: `now(8) ‖ len(2) ‖ clientDataJSON ‖ attestationObject`
//! through `Verifier::verify_registration`, without and with the real MDS trust store, and with
//! ceremony expectations (clientDataJSON parsed and checked: matching ones derived from the
//! JSON when its length is odd, foreign ones when even).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::attestation::RegistrationInput;

fuzz_target!(|data: &[u8]| {
    let (now, rest) = mdsd_fuzz::time_from(data);
    let (client_data_json, attestation_object) = mdsd_fuzz::split_u16(rest);
    let input = RegistrationInput { attestation_object, client_data_json, expectations: None };
    let verifier = mdsd_fuzz::verifier();
    let bare = verifier.verify_registration(&input, None, now);
    let with_store = verifier.verify_registration(&input, Some(mdsd_fuzz::store()), now);
    // The statement verdict does not depend on metadata.
    assert_eq!(bare.statement_valid, with_store.statement_valid);
    assert!(!with_store.trusted || with_store.statement_valid);
    let _ = with_store.to_json();
    // Expectations only ever take validity away (§7.1 steps 7–15 are extra conditions).
    let expect = mdsd_fuzz::expectations_for(client_data_json, client_data_json.len() % 2 == 1);
    let input = RegistrationInput { expectations: Some(&expect), ..input };
    let checked = verifier.verify_registration(&input, None, now);
    assert!(!checked.statement_valid || bare.statement_valid);
    assert!(!checked.trusted || checked.statement_valid);
});
