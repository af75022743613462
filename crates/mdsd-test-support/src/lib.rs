//! Shared helpers of mdsd's tests, benches and examples — one copy of each, used as a
//! dev-dependency (`use mdsd_test_support::{blob, pki};`) instead of `#[path]` modules.
//!
//! | module | what it gives |
//! |---|---|
//! | [`pki`] | a test PKI built with rcgen at test time: roots, intermediates, leaves, cross-signed certificates, CRLs |
//! | [`attestation`] | generated WebAuthn registrations (packed, fido-u2f, apple, none, compound) with a knob per negative case, and trust stores with chosen entries |
//! | [`blob`] | MDS3 payloads and compact-JWS BLOBs signed by the test PKI |
//! | [`big_blob`] | the ≥ 16 MiB benchmark BLOB made from the real 2024-12 entries |
//! | [`http`] | a tiny HTTP/1.1 server on 127.0.0.1:0 standing in for the MDS and CRL distribution points |
//! | `grpc` (feature `daemon`) | a gRPC client of an in-process daemon; waiting until it serves a BLOB `no` |
//! | `mds_env` (feature `daemon`) | a test MDS (PKI, CRLs, BLOBs on the mock server) and a daemon `Config` pointing at it |
//! | [`shared`] | the real data in `../shared/testdata`: paths, reads, BLOB trust stores, the attestation roots |
//! | [`vectors`] | the 130 real attestation vectors of `attestations/vectors.json` |
//! | [`policy`] | the README's two passkey profiles as a `[policy]` TOML section |
//!
//! And, at the top level: [`b64`] / [`b64url`] / [`b64_std`] (base64 both ways), [`t`] and
//! [`at`] (times), [`now`] (the wall clock, for tests of the daemon, which reads it),
//! [`free_port`] and [`metric_value`] (one sample of the daemon's Prometheus text).
//!
//! Nothing generated is stored: keys, certificates and BLOBs are fresh on every run, except the
//! committed test-only RSA key `data/rsa2048.pk8.pem` (see [`pki`]).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `../shared/testdata` of the workspace root followed by `$rel`, as a literal (for `concat!`
/// and consts); this crate's manifest is two levels below the root.
macro_rules! shared_testdata_literal {
    ($rel:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata", $rel)
    };
}

pub mod attestation;
pub mod big_blob;
pub mod blob;
#[cfg(feature = "daemon")]
pub mod grpc;
pub mod http;
#[cfg(feature = "daemon")]
pub mod mds_env;
pub mod pki;
pub mod policy;
pub mod shared;
pub mod vectors;

pub use pki::t;
pub use shared::SHARED;

/// Decodes base64url (RFC 4648 §5), with or without `=` padding, as the test vectors and JWS
/// parts carry it: a `str`, a `String` or a JSON string value. Panics, naming the input, when
/// it is not base64url.
pub fn b64<T: Base64Text + ?Sized>(text: &T) -> Vec<u8> {
    let s = text.base64_text();
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("not base64url ({e}): {s:.60}"))
}

/// What [`b64`] decodes: text, or a JSON value that must be a string.
pub trait Base64Text {
    fn base64_text(&self) -> &str;
}

impl Base64Text for str {
    fn base64_text(&self) -> &str {
        self
    }
}

impl Base64Text for String {
    fn base64_text(&self) -> &str {
        self
    }
}

impl Base64Text for serde_json::Value {
    fn base64_text(&self) -> &str {
        self.as_str().unwrap_or_else(|| panic!("not a base64url string: {self}"))
    }
}

impl<T: Base64Text + ?Sized> Base64Text for &T {
    fn base64_text(&self) -> &str {
        (**self).base64_text()
    }
}

/// Encodes base64url without padding (JWS parts, WebAuthn challenges).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Encodes standard base64 with padding (x5c and `attestationRootCertificates` in MDS JSON).
pub fn b64_std(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// An RFC 3339 time (`"2024-06-01T00:00:00Z"`). Panics, naming the input, when it is not one.
pub fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {s}"))
}

/// The wall clock. Only for tests of the daemon, which reads it itself (its BLOBs and CRLs are
/// dated around today); the core's tests state their time with [`t`] or [`at`].
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for a child process that must be told
/// its port (in-process servers bind `127.0.0.1:0` instead). The port is released before this
/// returns, so another process may take it in between: use it at once.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}

/// The value of the first sample in Prometheus exposition `text` whose line starts with
/// `prefix` (a metric name with its trailing space, or a name and the start of its labels).
/// Panics, showing `text`, when there is none or its value is not a number.
pub fn metric_value(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric sample {prefix:?} in:\n{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64_accepts_padding_and_round_trips() {
        assert_eq!(b64("AQID"), [1, 2, 3]);
        assert_eq!(b64("AQ=="), [1]);
        assert_eq!(b64("AQ"), [1]);
        assert_eq!(b64(&b64url(&[0xfb, 0xff])), [0xfb, 0xff]);
        assert_eq!(b64(&serde_json::json!("AQID")), [1, 2, 3]);
        assert_eq!(["AQ", "AQI"].map(b64), [vec![1], vec![1, 2]]);
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(b64_std(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    #[should_panic(expected = "not base64url")]
    fn b64_names_bad_input() {
        b64("+/8=");
    }

    #[test]
    fn times() {
        assert_eq!(at("2024-06-01T00:00:00Z"), t(2024, 6, 1));
        assert_eq!(t(2024, 6, 1).unix_timestamp(), 1_717_200_000);
    }
}
