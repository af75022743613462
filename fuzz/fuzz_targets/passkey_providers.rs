//! The passkey-provider list (community `aaguid.json` format): any bytes parse to a list or a
//! whole-list error, never a panic; every listed AAGUID names its entry and the nil one none.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdsd::passkey_providers::ProviderList;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = ProviderList::parse(data) {
        assert!(list.name(&uuid::Uuid::nil()).is_none());
        assert_eq!(list.is_empty(), list.len() == 0);
        let _ = list.skipped().iter().map(|s| s.reason.to_string()).count();
    }
});
