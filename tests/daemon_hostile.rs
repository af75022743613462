//! Hostile gRPC requests against the in-process daemon: oversized messages, deeply nested CBOR,
//! a 1000-certificate x5c, huge RSA moduli and exponents (COSE keys and certificates),
//! non-canonical CBOR, wrong CBOR types, garbage and empty fields, invalid UTF-8. Each case must
//! be answered with INVALID_ARGUMENT / OUT_OF_RANGE or a REJECTED verdict with reasons, and the
//! daemon must keep answering a valid registration correctly afterwards. The worst latency of
//! each case is printed (`cargo test --test daemon_hostile -- --nocapture`); it is not asserted.

use std::time::{Duration, Instant};

use ciborium::Value;
use gen::{Fmt, Opts, CHALLENGE, ORIGIN, RP_ID};
use mdsd::daemon::proto::attestation_service_client::AttestationServiceClient;
use mdsd::daemon::proto::{
    validate_attestation_chain_request, ValidateAttestationChainRequest, Verdict,
    VerifyRegistrationRequest, VerifyRegistrationResponse,
};
use mdsd::daemon::server::start;
use mdsd_test_support::attestation as gen;
use mdsd_test_support::mds_env::{in_days, MdsEnv};
use mdsd_test_support::{blob, pki};
use tonic::transport::Channel;
use tonic::Code;

/// How the daemon answered one request.
#[derive(Debug)]
enum Answer {
    Error(Code, String),
    Rejected(Vec<String>),
    Accepted,
}

impl Answer {
    /// Refused the way a hostile request must be: a request error for malformed input, or a
    /// REJECTED verdict that says why.
    fn is_refusal(&self) -> bool {
        match self {
            Answer::Error(code, _) => matches!(code, Code::InvalidArgument | Code::OutOfRange),
            Answer::Rejected(reasons) => !reasons.is_empty(),
            Answer::Accepted => false,
        }
    }
}

fn verdict(r: VerifyRegistrationResponse) -> Answer {
    if r.verdict == Verdict::Accepted as i32 {
        Answer::Accepted
    } else {
        Answer::Rejected(r.reasons.iter().map(|x| format!("{}: {}", x.code, x.message)).collect())
    }
}

struct Harness {
    api: AttestationServiceClient<Channel>,
    channel: Channel,
    made: gen::Made,
    /// (case, worst latency, answer summary) for the final table.
    table: Vec<(String, Duration, String)>,
}

impl Harness {
    fn request(&self, attestation_object: Vec<u8>) -> VerifyRegistrationRequest {
        VerifyRegistrationRequest {
            attestation_object,
            client_data_json: self.made.client_data_json.clone(),
            rp_id: RP_ID.into(),
            origins: vec![ORIGIN.into()],
            challenge: CHALLENGE.to_vec(),
            ..Default::default()
        }
    }

    async fn verify(&mut self, req: VerifyRegistrationRequest) -> Answer {
        match self.api.verify_registration(req).await {
            Ok(r) => verdict(r.into_inner()),
            Err(s) => Answer::Error(s.code(), s.message().to_string()),
        }
    }

    async fn chain(&mut self, req: ValidateAttestationChainRequest) -> Answer {
        match self.api.validate_attestation_chain(req).await {
            Ok(r) => {
                let r = r.into_inner();
                if r.verdict == Verdict::Accepted as i32 {
                    Answer::Accepted
                } else {
                    Answer::Rejected(
                        r.reasons.iter().map(|x| format!("{}: {}", x.code, x.message)).collect(),
                    )
                }
            }
            Err(s) => Answer::Error(s.code(), s.message().to_string()),
        }
    }

    /// Sends `req` three times; asserts each answer is a refusal; records the worst latency.
    async fn hostile(&mut self, case: &str, req: VerifyRegistrationRequest) -> Answer {
        let mut worst = Duration::ZERO;
        let mut last = None;
        for _ in 0..3 {
            let started = Instant::now();
            let answer = self.verify(req.clone()).await;
            worst = worst.max(started.elapsed());
            assert!(answer.is_refusal(), "{case}: {answer:?}");
            last = Some(answer);
        }
        let answer = last.unwrap();
        self.table.push((case.to_string(), worst, summary(&answer)));
        answer
    }

    async fn hostile_chain(&mut self, case: &str, req: ValidateAttestationChainRequest) -> Answer {
        self.timed_chain(case, req, Answer::is_refusal).await
    }

    /// Sends `req` three times; asserts `expect` of each answer; records the worst latency.
    async fn timed_chain(
        &mut self,
        case: &str,
        req: ValidateAttestationChainRequest,
        expect: fn(&Answer) -> bool,
    ) -> Answer {
        let mut worst = Duration::ZERO;
        let mut last = None;
        for _ in 0..3 {
            let started = Instant::now();
            let answer = self.chain(req.clone()).await;
            worst = worst.max(started.elapsed());
            assert!(expect(&answer), "{case}: {answer:?}");
            last = Some(answer);
        }
        let answer = last.unwrap();
        self.table.push((case.to_string(), worst, summary(&answer)));
        answer
    }

    /// The valid registration is still ACCEPTED.
    async fn still_serving(&mut self) {
        let req = self.request(self.made.attestation_object.clone());
        let answer = self.verify(req).await;
        assert!(matches!(answer, Answer::Accepted), "after hostile input: {answer:?}");
    }
}

fn summary(a: &Answer) -> String {
    let s = match a {
        Answer::Error(code, msg) => format!("{code:?}: {msg}"),
        Answer::Rejected(reasons) => format!("REJECTED {}", reasons.join(" | ")),
        Answer::Accepted => "ACCEPTED".into(),
    };
    s.chars().take(110).collect()
}

fn decode(bytes: &[u8]) -> Vec<(Value, Value)> {
    match ciborium::de::from_reader::<Value, _>(bytes).unwrap() {
        Value::Map(m) => m,
        other => panic!("{other:?}"),
    }
}

/// The attestation object with `key` of the top-level map replaced by `value`.
fn with_top(object: &[u8], key: &str, value: Value) -> Vec<u8> {
    let mut map = decode(object);
    for (k, v) in &mut map {
        if k.as_text() == Some(key) {
            *v = value.clone();
        }
    }
    gen::enc(&Value::Map(map))
}

/// The attestation object with `key` of attStmt replaced by `value`.
fn with_stmt(object: &[u8], key: &str, value: Value) -> Vec<u8> {
    let mut map = decode(object);
    for (k, v) in &mut map {
        if k.as_text() == Some("attStmt") {
            let Value::Map(stmt) = v else { panic!() };
            stmt.retain(|(k, _)| k.as_text() != Some(key));
            stmt.push((Value::Text(key.into()), value.clone()));
        }
    }
    gen::enc(&Value::Map(map))
}

fn stmt_value(object: &[u8], key: &str) -> Value {
    for (k, v) in decode(object) {
        if k.as_text() == Some("attStmt") {
            let Value::Map(stmt) = v else { panic!() };
            return stmt.into_iter().find(|(k, _)| k.as_text() == Some(key)).unwrap().1;
        }
    }
    panic!("no attStmt")
}

/// DER TLV with a definite length (short or long form).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A positive DER INTEGER from big-endian magnitude bytes.
fn der_uint(magnitude: &[u8]) -> Vec<u8> {
    let mut m = magnitude.to_vec();
    if m.first().is_some_and(|b| b & 0x80 != 0) {
        m.insert(0, 0);
    }
    der(0x02, &m)
}

/// An rsaEncryption SubjectPublicKeyInfo with modulus `n` and exponent `e`.
fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let alg =
        der(0x30, &[der(0x06, &[42, 134, 72, 134, 247, 13, 1, 1, 1]), vec![0x05, 0x00]].concat());
    let key = der(0x30, &[der_uint(n), der_uint(e)].concat());
    let bits = der(0x03, &[vec![0x00], key].concat());
    der(0x30, &[alg, bits].concat())
}

/// An odd `bits`-bit modulus-shaped number (not a real RSA modulus: the check must refuse it
/// before any arithmetic).
fn big_number(bits: usize) -> Vec<u8> {
    let mut n = vec![0xA5; bits / 8];
    n[0] = 0xC3;
    *n.last_mut().unwrap() |= 1;
    n
}

/// `cert` re-issued by `issuer` (P-256) with its SubjectPublicKeyInfo replaced by `spki`:
/// properly signed, so the huge key is met by the signature step, not the parser alone.
fn with_spki(cert: &pki::Issued, issuer: &pki::Issued, spki: &[u8]) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(&cert.der).unwrap();
    let tbs_raw = parsed.tbs_certificate.as_ref();
    let old_spki = parsed.tbs_certificate.subject_pki.raw;
    let at = tbs_raw.windows(old_spki.len()).position(|w| w == old_spki).unwrap();
    // Rebuild the TBS content: everything after its own header, with the SPKI swapped.
    let header_len = tbs_raw.len() - tbs_content_len(tbs_raw);
    let mut content = tbs_raw[header_len..at].to_vec();
    content.extend_from_slice(spki);
    content.extend_from_slice(&tbs_raw[at + old_spki.len()..]);
    let tbs = der(0x30, &content);
    let sig = blob::sign_es256_der(&issuer.pkcs8(), &tbs);
    // ecdsa-with-SHA256
    let alg = der(0x30, &der(0x06, &[42, 134, 72, 206, 61, 4, 3, 2]));
    let bits = der(0x03, &[vec![0x00], sig].concat());
    der(0x30, &[tbs, alg, bits].concat())
}

fn tbs_content_len(tlv: &[u8]) -> usize {
    let first = tlv[1];
    if first < 0x80 {
        return first as usize;
    }
    let n = (first & 0x7f) as usize;
    tlv[2..2 + n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize)
}

fn cose_rsa(n: &[u8], e: &[u8]) -> Vec<u8> {
    let i = |n: i64| Value::Integer(n.into());
    gen::enc(&Value::Map(vec![
        (i(1), i(3)),
        (i(3), i(-257)),
        (i(-1), Value::Bytes(n.to_vec())),
        (i(-2), Value::Bytes(e.to_vec())),
    ]))
}

/// A packed self-attestation (no x5c) over a credential whose COSE key is `cose`.
fn self_attested(made: &gen::Made, cose: &[u8], alg: i64, sig_len: usize) -> Vec<u8> {
    let aaguid = made.aaguid;
    let auth = gen::auth_data(RP_ID, gen::FLAGS_DEFAULT, &aaguid, &[7; 16], cose);
    let stmt = Value::Map(vec![
        (Value::Text("alg".into()), Value::Integer(alg.into())),
        (Value::Text("sig".into()), Value::Bytes(vec![0x5A; sig_len])),
    ]);
    gen::attestation_object("packed", stmt, &auth)
}

fn packed_entry(made: &gen::Made) -> serde_json::Value {
    gen::EntrySpec::new(Some(made.aaguid), "mdsd hostile-test authenticator", vec![&made.root])
        .json()
}

#[tokio::test]
async fn hostile_requests_are_refused_quickly_and_the_daemon_keeps_serving() {
    let made = gen::make(Fmt::Packed, &Opts::default(), None);
    let env = MdsEnv::start("hostile").await;
    env.serve_blob(5, env.blob(5, in_days(30), vec![packed_entry(&made)]));
    let running = start(env.config()).await.unwrap();
    let url = format!("http://{}", running.grpc_addr.unwrap());
    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    let api = AttestationServiceClient::new(channel.clone());
    let mut h = Harness { api, channel, made, table: Vec::new() };
    // Wait for the first BLOB, then the control: the generated registration is ACCEPTED.
    let started = Instant::now();
    loop {
        let req = h.request(h.made.attestation_object.clone());
        match h.verify(req).await {
            Answer::Accepted => break,
            Answer::Error(Code::Unavailable, _) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("control registration: {other:?}"),
        }
    }
    let good = h.made.attestation_object.clone();
    let leaf = h.made.leaf.as_ref().unwrap().der.clone();

    // --- Sizes -------------------------------------------------------------------------
    let answer =
        h.hostile("message over max_request_bytes (2 MiB)", h.request(vec![0xA1; 2 << 20])).await;
    assert!(matches!(answer, Answer::Error(Code::OutOfRange, _)), "{answer:?}");
    // Under the message limit, over the attestationObject limit (64 KiB).
    let mut padded = good.clone();
    padded.extend(std::iter::repeat_n(0u8, 900 * 1024));
    h.hostile("attestationObject of 900 KiB (limit 64 KiB)", h.request(padded)).await;
    let mut cdj = h.request(good.clone());
    cdj.client_data_json = vec![b' '; 200 * 1024];
    let answer = h.hostile("clientDataJSON of 200 KiB", cdj).await;
    assert!(matches!(answer, Answer::Error(Code::InvalidArgument, _)), "{answer:?}");
    let mut origins = h.request(good.clone());
    origins.origins = vec![ORIGIN.into(); 10_000];
    h.hostile("10000 origins", origins).await;

    // --- Nesting -----------------------------------------------------------------------
    let mut deep = vec![0x81; 60_000];
    deep.push(0x00);
    h.hostile("60000 nested CBOR arrays as attestationObject", h.request(deep)).await;
    let mut deep_maps = Vec::new();
    for _ in 0..20_000 {
        deep_maps.extend_from_slice(&[0xA1, 0x00]);
    }
    deep_maps.push(0x00);
    h.hostile("20000 nested CBOR maps", h.request(deep_maps)).await;
    // Deep nesting inside attStmt.
    let mut v = Value::Integer(0.into());
    for _ in 0..200 {
        v = Value::Array(vec![v]);
    }
    h.hostile("attStmt.x5c nested 200 deep", h.request(with_stmt(&good, "x5c", v))).await;
    // Deep nesting inside the COSE key of authData (signed bytes).
    let mut cose = vec![0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
    cose.extend(std::iter::repeat_n(0x81, 1000));
    cose.push(0x00);
    cose.push(0x22);
    cose.extend(std::iter::repeat_n(0x81, 1000));
    cose.push(0x00);
    h.hostile("COSE key nested 1000 deep", h.request(self_attested(&h.made, &cose, -7, 72))).await;
    // Indefinite-length arrays nested deeply (no length to check up front).
    let mut indef = vec![0xA3, 0x63, b'f', b'm', b't', 0x66];
    indef.extend_from_slice(b"packed");
    indef.extend_from_slice(&[0x67]);
    indef.extend_from_slice(b"attStmt");
    indef.extend(std::iter::repeat_n(0x9F, 30_000));
    h.hostile("30000 unterminated indefinite arrays", h.request(indef)).await;

    // --- x5c ---------------------------------------------------------------------------
    let thousand = Value::Array(vec![Value::Bytes(leaf.clone()); 1000]);
    h.hostile("packed x5c with 1000 certificates", h.request(with_stmt(&good, "x5c", thousand)))
        .await;
    let aaguid = h.made.aaguid.to_string();
    let chain_req = |x5c: Vec<Vec<u8>>| ValidateAttestationChainRequest {
        authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(
            aaguid.clone(),
        )),
        x5c,
    };
    let answer = h
        .hostile_chain(
            "ValidateAttestationChain with 1000 certificates",
            chain_req(vec![leaf.clone(); 1000]),
        )
        .await;
    assert!(matches!(answer, Answer::Error(Code::InvalidArgument, _)), "{answer:?}");
    // The most certificates accepted, all the same leaf: path building stays within its budget
    // and finds the one real path (leaf → root), so this is ACCEPTED, and quickly.
    h.timed_chain(
        "ValidateAttestationChain 8 copies of the leaf",
        chain_req(vec![leaf.clone(); 8]),
        |a| matches!(a, Answer::Accepted),
    )
    .await;
    h.hostile_chain(
        "ValidateAttestationChain garbage certificate",
        chain_req(vec![vec![0x30, 0x82, 0xFF, 0xFF]]),
    )
    .await;
    h.hostile_chain("ValidateAttestationChain empty certificate", chain_req(vec![vec![]])).await;
    let mut bad_aaguid = chain_req(vec![leaf.clone()]);
    bad_aaguid.authenticator =
        Some(validate_attestation_chain_request::Authenticator::Aaguid("\u{0}\u{ffff}".repeat(18)));
    h.hostile_chain("ValidateAttestationChain aaguid of 36 junk characters", bad_aaguid).await;

    // --- Huge RSA keys -----------------------------------------------------------------
    let e = [1, 0, 1];
    for bits in [16_384, 65_536] {
        let cose = cose_rsa(&big_number(bits), &e);
        let case = format!("COSE RSA key with a {bits}-bit modulus (packed self)");
        let answer =
            h.hostile(&case, h.request(self_attested(&h.made, &cose, -257, bits / 8))).await;
        assert!(matches!(answer, Answer::Rejected(_)), "{answer:?}");
    }
    let cose = cose_rsa(&big_number(2048), &big_number(4096));
    h.hostile(
        "COSE RSA key with a 4096-bit exponent",
        h.request(self_attested(&h.made, &cose, -257, 256)),
    )
    .await;
    let cose = cose_rsa(&big_number(2048), &[]);
    h.hostile(
        "COSE RSA key with an empty exponent",
        h.request(self_attested(&h.made, &cose, -257, 256)),
    )
    .await;
    // A packed leaf carrying a 16384-bit RSA key, validly signed by the attestation root: the
    // attestation signature must be checked with that key (and refused by the size cap).
    let huge_leaf =
        with_spki(h.made.leaf.as_ref().unwrap(), &h.made.root, &rsa_spki(&big_number(16_384), &e));
    let obj = with_stmt(&good, "x5c", Value::Array(vec![Value::Bytes(huge_leaf.clone())]));
    let obj = with_stmt(&obj, "alg", Value::Integer((-257).into()));
    let obj = with_stmt(&obj, "sig", Value::Bytes(vec![0x5A; 2048]));
    h.hostile("packed x5c leaf with a 16384-bit RSA key", h.request(obj)).await;
    let huge_exp_leaf = with_spki(
        h.made.leaf.as_ref().unwrap(),
        &h.made.root,
        &rsa_spki(&big_number(2048), &big_number(4096)),
    );
    let obj = with_stmt(&good, "x5c", Value::Array(vec![Value::Bytes(huge_exp_leaf.clone())]));
    let obj = with_stmt(&obj, "alg", Value::Integer((-257).into()));
    let obj = with_stmt(&obj, "sig", Value::Bytes(vec![0x5A; 256]));
    h.hostile("packed x5c leaf with a 4096-bit RSA exponent", h.request(obj)).await;
    // The chain RPC with the same certificates: the path is valid (the root signed the leaf)
    // and path validation never uses the leaf's own key, so it is ACCEPTED — quickly: the
    // 16384-bit key is parsed but no arithmetic is done with it. (Only VerifyRegistration,
    // which must verify a signature with that key, refuses it.)
    h.timed_chain(
        "ValidateAttestationChain leaf with a 16384-bit RSA key",
        chain_req(vec![huge_leaf.clone(), h.made.root.der.clone()]),
        |a| matches!(a, Answer::Accepted),
    )
    .await;

    // --- Non-canonical CBOR ------------------------------------------------------------
    // Duplicate keys in the top-level map.
    let mut dup = decode(&good);
    dup.push((Value::Text("fmt".into()), Value::Text("none".into())));
    h.hostile("duplicate fmt key", h.request(gen::enc(&Value::Map(dup)))).await;
    // Duplicate keys in the (signed) COSE key.
    let point = vec![4u8; 65];
    let mut dup_cose = gen::cose_es256(&point);
    dup_cose[0] += 1; // one more pair
    dup_cose.extend_from_slice(&[0x03, 0x26]);
    h.hostile(
        "duplicate alg in the COSE key",
        h.request(self_attested(&h.made, &dup_cose, -7, 72)),
    )
    .await;
    // Trailing bytes after the attestation object.
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0x00, 0x01]);
    h.hostile("trailing bytes after the attestationObject", h.request(trailing)).await;
    // Trailing bytes after the COSE key inside authData.
    let mut auth = h.made.auth_data.clone();
    auth.extend_from_slice(&[0xF6; 3]);
    h.hostile(
        "trailing bytes after the credential key",
        h.request(with_top(&good, "authData", Value::Bytes(auth))),
    )
    .await;
    // Truncated at every length class.
    for cut in [1, 10, good.len() / 2, good.len() - 1] {
        h.hostile(&format!("attestationObject cut at {cut}"), h.request(good[..cut].to_vec()))
            .await;
    }
    // A CBOR length claiming 2^64-1 bytes.
    let mut huge_len = vec![0xA3, 0x63, b'f', b'm', b't', 0x7B];
    huge_len.extend_from_slice(&[0xFF; 8]);
    h.hostile("text string claiming 2^64-1 bytes", h.request(huge_len)).await;
    let mut huge_arr = vec![0xA3, 0x63, b'f', b'm', b't', 0x66];
    huge_arr.extend_from_slice(b"packed");
    huge_arr.extend_from_slice(&[0x67]);
    huge_arr.extend_from_slice(b"attStmt");
    huge_arr.extend_from_slice(&[0x9B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    h.hostile("array claiming 2^32 items", h.request(huge_arr)).await;

    // --- Wrong CBOR types --------------------------------------------------------------
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("fmt as an integer", with_top(&good, "fmt", Value::Integer(1.into()))),
        ("fmt unknown", with_top(&good, "fmt", Value::Text("packed\u{0}".into()))),
        ("attStmt as an array", with_top(&good, "attStmt", Value::Array(vec![]))),
        ("authData as text", with_top(&good, "authData", Value::Text("x".into()))),
        ("authData empty", with_top(&good, "authData", Value::Bytes(vec![]))),
        ("x5c as a map", with_stmt(&good, "x5c", Value::Map(vec![]))),
        ("x5c empty array", with_stmt(&good, "x5c", Value::Array(vec![]))),
        ("x5c[0] as text", with_stmt(&good, "x5c", Value::Array(vec![Value::Text("MII".into())]))),
        ("sig as text", with_stmt(&good, "sig", Value::Text("sig".into()))),
        ("sig empty", with_stmt(&good, "sig", Value::Bytes(vec![]))),
        ("alg as text", with_stmt(&good, "alg", Value::Text("ES256".into()))),
        ("alg as 2^64-1", with_stmt(&good, "alg", Value::Integer(u64::MAX.into()))),
        ("alg negative out of range", with_stmt(&good, "alg", Value::Integer(i64::MIN.into()))),
        ("top level as an array", gen::enc(&Value::Array(vec![]))),
        ("top level as a tag", gen::enc(&Value::Tag(24, Box::new(Value::Bytes(good.clone()))))),
        ("top level float", gen::enc(&Value::Float(f64::NAN))),
    ];
    for (case, obj) in cases {
        h.hostile(case, h.request(obj)).await;
    }
    // A stale x5c value taken from the good object, paired with a wrong-typed sig.
    let x5c = stmt_value(&good, "x5c");
    h.hostile(
        "x5c kept, sig as an array",
        h.request(with_stmt(&with_stmt(&good, "x5c", x5c), "sig", Value::Array(vec![]))),
    )
    .await;

    // --- Garbage, empty, invalid UTF-8 -------------------------------------------------
    let answer = h.hostile("empty request", VerifyRegistrationRequest::default()).await;
    assert!(matches!(answer, Answer::Error(Code::InvalidArgument, _)), "{answer:?}");
    let mut empty_cdj = h.request(good.clone());
    empty_cdj.client_data_json = vec![];
    h.hostile("empty clientDataJSON", empty_cdj).await;
    let mut random = Vec::with_capacity(4096);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        random.push(x as u8);
    }
    h.hostile("4 KiB of pseudo-random bytes", h.request(random.clone())).await;
    let mut cdj = h.request(good.clone());
    cdj.client_data_json = random;
    h.hostile("clientDataJSON of random bytes", cdj).await;
    let mut cdj = h.request(good.clone());
    cdj.client_data_json =
        b"{\"type\":\"webauthn.create\",\"challenge\":\"\xff\xfe\",\"origin\":\"x\"}".to_vec();
    h.hostile("clientDataJSON with invalid UTF-8", cdj).await;
    let mut cdj = h.request(good.clone());
    cdj.client_data_json = vec![b'['; 50_000];
    h.hostile("clientDataJSON nested 50000 arrays", cdj).await;
    let mut bad_text = vec![0xA3, 0x63, b'f', b'm', b't', 0x66, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0xFA];
    bad_text.extend_from_slice(&good[12.min(good.len())..]);
    h.hostile("fmt with invalid UTF-8", h.request(bad_text)).await;
    let invalid_key = with_stmt(&good, "x5c", stmt_value(&good, "x5c"));
    let invalid_key = {
        // Replace the text key "sig" by the same bytes with an invalid UTF-8 byte.
        let mut b = invalid_key.clone();
        let at = b.windows(4).position(|w| w == [0x63, b's', b'i', b'g']).unwrap();
        b[at + 1] = 0xFF;
        b
    };
    h.hostile("attStmt key with invalid UTF-8", h.request(invalid_key)).await;
    let mut rp = h.request(good.clone());
    rp.rp_id = "\u{0}".repeat(10_000);
    h.hostile("rp_id of 10000 NULs", rp).await;
    let mut o = h.request(good.clone());
    o.origins = vec![String::new()];
    h.hostile("empty origin", o).await;
    let mut groups = h.request(good.clone());
    groups.user_groups = vec!["g".into(); 100_000];
    h.hostile("100000 user groups", groups).await;

    h.still_serving().await;
    raw_invalid_utf8(&mut h).await;
    h.still_serving().await;

    println!("\n{:<60} {:>10}  answer", "case", "worst");
    for (case, worst, answer) in &h.table {
        println!("{case:<60} {:>8.2}ms  {answer}", worst.as_secs_f64() * 1e3);
    }
    running.shutdown().await;
}

/// The request's string fields (rp_id, origins) as raw bytes: prost refuses invalid UTF-8 in a
/// `string` field while decoding, before the service runs.
#[derive(Clone, PartialEq, prost::Message)]
struct RawVerifyRegistrationRequest {
    #[prost(bytes = "vec", tag = "1")]
    attestation_object: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    client_data_json: Vec<u8>,
    #[prost(bytes = "vec", tag = "3")]
    rp_id: Vec<u8>,
    #[prost(bytes = "vec", repeated, tag = "4")]
    origins: Vec<Vec<u8>>,
    #[prost(bytes = "vec", tag = "5")]
    challenge: Vec<u8>,
}

async fn raw_invalid_utf8(h: &mut Harness) {
    let mut grpc = tonic::client::Grpc::new(h.channel.clone());
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/mdsd.v1.AttestationService/VerifyRegistration",
    );
    for (case, rp_id, origin) in [
        ("rp_id with invalid UTF-8 (raw protobuf)", vec![0xFF, 0xFE], ORIGIN.as_bytes().to_vec()),
        ("origin with invalid UTF-8 (raw protobuf)", RP_ID.as_bytes().to_vec(), vec![0xC0, 0x80]),
    ] {
        let req = RawVerifyRegistrationRequest {
            attestation_object: h.made.attestation_object.clone(),
            client_data_json: h.made.client_data_json.clone(),
            rp_id,
            origins: vec![origin],
            challenge: CHALLENGE.to_vec(),
        };
        let started = Instant::now();
        grpc.ready().await.unwrap();
        let result: Result<tonic::Response<VerifyRegistrationResponse>, tonic::Status> = grpc
            .unary(tonic::Request::new(req), path.clone(), tonic_prost::ProstCodec::default())
            .await;
        let elapsed = started.elapsed();
        let answer = match result {
            Ok(r) => verdict(r.into_inner()),
            Err(s) => Answer::Error(s.code(), s.message().to_string()),
        };
        h.table.push((case.to_string(), elapsed, summary(&answer)));
        // tonic-prost maps protobuf decode errors to INTERNAL (grpc status-code guidance:
        // "the server could not parse the message" is INTERNAL there); nothing is verified.
        assert!(
            answer.is_refusal() || matches!(answer, Answer::Error(Code::Internal, _)),
            "{case}: {answer:?}"
        );
        assert!(!matches!(answer, Answer::Accepted), "{case}");
    }
}

/// A long junk `aaguid` (or `key_identifier`) must be refused with INVALID_ARGUMENT like a short
/// one. Regression: grpc.rs used to echo the whole input (`{s:?}`) into the status message and its
/// BadRequest details: 1000 junk characters made ~10 KB of escapes, percent-encoded into
/// `grpc-message` and again base64 in `grpc-status-details-bin`; the trailers exceeded the
/// client's header-list limit and the client saw `Internal: h2 protocol error` instead of the
/// answer. `grpc::to_status` now bounds every echoed field and reason.
#[tokio::test]
async fn long_junk_aaguid_is_refused_with_a_bounded_message() {
    let made = gen::make(Fmt::Packed, &Opts::default(), None);
    let env = MdsEnv::start("hostile-aaguid").await;
    env.serve_blob(5, env.blob(5, in_days(30), vec![packed_entry(&made)]));
    let running = start(env.config()).await.unwrap();
    let url = format!("http://{}", running.grpc_addr.unwrap());
    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    let mut api = AttestationServiceClient::new(channel);
    for junk in ["\u{0}\u{ffff}".repeat(1000), "x".repeat(500_000)] {
        let req = ValidateAttestationChainRequest {
            authenticator: Some(validate_attestation_chain_request::Authenticator::Aaguid(junk)),
            x5c: vec![made.leaf.as_ref().unwrap().der.clone()],
        };
        let err = api.validate_attestation_chain(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        assert!(err.message().len() < 1024, "{} bytes of message", err.message().len());
    }
    running.shutdown().await;
}
