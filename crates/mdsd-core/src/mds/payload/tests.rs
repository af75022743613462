//! Tests of the payload readers: one pass, two passes and the general path agree.

use std::borrow::Cow;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use serde_json::value::RawValue;

use super::entry::{
    parse_entry, parse_entry_general, Refused, ENTRY_FIELDS, ENTRY_READ, STATEMENT_FIELDS,
    STATEMENT_READ,
};
use super::members::{listed, Members};
use super::roots::{CertBudget, RootCheck, RootsCache, RootsDecoded};
use super::status::{ReportMembers, STATUS_REPORT_FIELDS};
use super::*;
use crate::trust_store::{LazyCert, RawJson};
use crate::x509::Cert;

/// The payload of a real BLOB in ../shared/testdata/blobs.
#[allow(clippy::disallowed_methods)] // test data: the only file the core reads, in tests
fn real_payload(file: &str) -> Vec<u8> {
    let path = format!("{}/../../../shared/testdata/blobs/{file}", env!("CARGO_MANIFEST_DIR"));
    let blob = std::fs::read_to_string(&path).unwrap();
    let part = blob.trim_end().split('.').nth(1).unwrap().to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()
}

const REAL: [&str; 4] = [
    "s1r-J_fido-mds3__2024-12-02__blob.jwt",
    "tweag_webauthn__golden-metadata_big_blob-with-errors.jwt",
    "webauthn4j__test-blob.jwt",
    "webauthn4j_pr1352__test-blob-with-new-auth-alg.jwt",
];

/// Everything an entry parse yields, for comparison: with the fast path (when it takes the
/// entry) or the general path only.
fn outcome(raw: &RawValue, fast: bool) -> String {
    let limits = PayloadLimits::default();
    let mut cache = RootsCache::new(limits.max_certs_per_entry, RootCheck::Frame);
    let (mut unknown, mut notes) = (UnknownCounts::default(), Vec::new());
    let raw_json = RawJson::owned(raw.get());
    let result = if fast {
        parse_entry(raw, raw_json, &limits, &mut cache, &mut unknown, &mut notes)
    } else {
        parse_entry_general(raw.get(), raw_json, &limits, &mut cache, &mut unknown, &mut notes)
    };
    let result = result.map_err(|Refused { id, reason }| (id, reason));
    format!("{result:?} {unknown:?} {notes:?}")
}

fn general(raw: &RawValue) -> String {
    outcome(raw, false)
}

fn both(raw: &RawValue) -> String {
    outcome(raw, true)
}

/// [`outcome`] of an entry from the members the one pass read.
fn one_pass<'a>(text: &'a str, read: EntryRead<'a>) -> String {
    let limits = PayloadLimits::default();
    let mut cache = RootsCache::new(limits.max_certs_per_entry, RootCheck::Frame);
    let (mut unknown, mut notes) = (UnknownCounts::default(), Vec::new());
    let raw_json = RawJson::owned(text);
    let result =
        parse_entry_read(text, Some(read), raw_json, &limits, &mut cache, &mut unknown, &mut notes);
    let result = result.map_err(|Refused { id, reason }| (id, reason));
    format!("{result:?} {unknown:?} {notes:?}")
}

#[test]
fn fast_path_takes_every_real_entry_and_agrees_with_the_general_path() {
    for file in REAL {
        let payload = shared_text(real_payload(file)).unwrap();
        let text = &payload;
        let (_, entries, _) = two_pass::top(text).unwrap_or_else(|| panic!("{file}: top"));
        let show = |t: Result<Top<'_>, PayloadError>| {
            format!("{:?}", t.map(|t| (t.no, t.next_update, t.entries.texts())))
        };
        assert_eq!(show(parse_top(&payload)), show(parse_top_general(text)));
        // The one pass takes every real entry, locates its text exactly and reads the same
        // values as the per-entry fast path and the general path.
        let (_, scanned, _) = scan::top(text).unwrap_or_else(|| panic!("{file}: one pass"));
        assert_eq!(scanned.len(), entries.len());
        for (raw, scanned) in entries.iter().zip(scanned) {
            assert_eq!(scanned.text, raw.get(), "{file}");
            let read = scanned.read.unwrap_or_else(|| panic!("{file}: {}", raw.get()));
            let s_read =
                two_pass::entry(raw.get()).unwrap_or_else(|| panic!("{file}: {}", raw.get()));
            let (names, s_names) = (&read.names, &s_read.names);
            // The one pass lists only the unknown names (all the counts read).
            let unknown = |names: &[Cow<'_, str>], fields: &[&str]| -> Vec<String> {
                names
                    .iter()
                    .filter(|n| !fields.contains(&n.as_ref()))
                    .map(|n| n.to_string())
                    .collect()
            };
            let s_entry = unknown(&s_names.entry, ENTRY_FIELDS);
            let s_statement = unknown(&s_names.statement, STATEMENT_FIELDS);
            let (entry, statement) = (unknown(&names.entry, &[]), unknown(&names.statement, &[]));
            assert_eq!((entry, statement), (s_entry, s_statement));
            assert_eq!(one_pass(raw.get(), read), general(raw), "{file}");
            assert_eq!(both(raw), general(raw), "{file}");
        }
        // The whole payload: one pass and two passes give the same store and report.
        assert_eq!(whole(parse_top(text)), whole(parse_top_two_pass(text)), "{file}");
        assert!(matches!(parse_top(text).unwrap().entries, TopEntries::Scanned(_)));
    }
}

/// Everything a whole payload parse yields, for comparison.
fn whole(top: Result<Top<'_>, PayloadError>) -> String {
    match top.and_then(|top| top.into_parsed(&PayloadLimits::default())) {
        Ok(p) => format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {:?}",
            p.no,
            p.next_update,
            p.legal_header,
            p.store.entries(),
            p.store.duplicates(),
            p.quarantined,
            p.warnings,
            p.unknown
        ),
        Err(e) => format!("{e:?}"),
    }
}

/// Payloads around odd entries: the one pass either gives up (whole or per entry) or reads
/// them exactly like the two-pass readers.
#[test]
fn one_pass_agrees_with_two_passes_on_odd_payloads() {
    let (base, cases) = odd_entries();
    let wrap = |entries: &str| {
        Arc::new(format!("{{\"no\":1,\"nextUpdate\":\"2024-01-01\",\"entries\":[{entries}]}}"))
    };
    let mut taken = 0;
    for case in &cases {
        for text in [
            wrap(case),
            wrap(&format!("{base},{case},{base}")),
            wrap(&format!(" \n\t{case} \r\n, {base}\n")),
        ] {
            assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)), "{text}");
            if let Some((_, scanned, _)) = scan::top(&text) {
                taken += 1;
                let (_, split, _) = two_pass::top(&text).unwrap();
                let texts: Vec<&str> = scanned.iter().map(|s| s.text).collect();
                assert_eq!(texts, split.iter().map(|r| r.get()).collect::<Vec<_>>());
                // Each entry the one pass read reads as the general path reads it.
                for entry in scanned {
                    let raw: Box<RawValue> = serde_json::from_str(entry.text).unwrap();
                    if let Some(read) = entry.read {
                        assert_eq!(one_pass(entry.text, read), general(&raw), "{text}");
                    }
                }
            }
        }
    }
    assert!(taken > 20, "{taken}");
    // Located, but left to the general path: a duplicate member, in the entry or in its
    // statement.
    let dup = wrap(&base.replacen("{", r#"{"aaguid":"x","#, 1));
    assert!(scan::top(&dup).unwrap().1[0].read.is_none());
    let dup =
        wrap(&base.replacen(r#""description":"d""#, r#""description":"d","description":5"#, 1));
    assert!(scan::top(&dup).unwrap().1[0].read.is_none());
    let dup = wrap(&base.replacen("{", r#"{"newEntryThing":1,"#, 1));
    assert!(scan::top(&dup).unwrap().1[0].read.is_none());
    assert_eq!(whole(parse_top(&dup)), whole(parse_top_two_pass(&dup)));
    assert!(scan::top(&wrap(&base)).unwrap().1[0].read.is_some());
    // Located and read: a `null` statement as the last member; located and left to the
    // general path: a statement or a status report of another type.
    let null_last = wrap(r#"{"aaid":"FFFF#0001","statusReports":[],"metadataStatement":null}"#);
    assert!(scan::top(&null_last).unwrap().1[0].read.is_some());
    for odd in [
        base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":5,"x":{"#, 1),
        base.replacen(r#""statusReports":["#, r#""statusReports":[5,"#, 1),
        base.replacen(r#""authenticatorVersion":3"#, r#""authenticatorVersion":-3"#, 1),
    ] {
        let text = wrap(&odd);
        assert!(scan::top(&text).unwrap().1[0].read.is_none(), "{odd}");
        assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)), "{text}");
    }
    assert_eq!(whole(parse_top(&null_last)), whole(parse_top_two_pass(&null_last)));
    // The whole pass gives up: not an object, `{}`, an escaped first name.
    for entry in
        ["5".to_string(), "{}".to_string(), base.replacen(r#"{"aaguid""#, r#"{"aagui\u0064""#, 1)]
    {
        let text = wrap(&entry);
        assert!(scan::top(&text).is_none(), "{entry}");
        assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)), "{text}");
    }
}

/// The one pass locates each entry by the JSON between them: whatever follows `entries` (more
/// members, whitespace, the end), it finds the same texts as the two-pass reader, or gives up.
#[test]
fn one_pass_locates_entries_wherever_they_are() {
    let (base, _) = odd_entries();
    let small = r#"{"aaid":"FFFF#0001","statusReports":[]}"#;
    let entries = [
        String::new(),
        small.to_string(),
        format!("{base},{small}"),
        format!(" {small} ,\n{base} , {small}\t"),
    ];
    for list in &entries {
        for text in [
            format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":[{list}]}}"#),
            format!(r#"{{"entries":[{list}],"no":1,"nextUpdate":"2024-01-01"}}"#),
            format!("{{ \"entries\" : [ {list} ] \n, \"no\":1,\"nextUpdate\":\"2024-01-01\" }}\n"),
            format!(r#"{{"no":1,"entries":[{list}],"x":[],"nextUpdate":"2024-01-01"}}"#),
            format!("{{\"no\":1,\"nextUpdate\":\"2024-01-01\",\"entries\":[{list}]\r\n}} \n"),
        ] {
            let (_, scanned, _) = scan::top(&text).unwrap_or_else(|| panic!("{text}"));
            let (_, split, _) = two_pass::top(&text).unwrap();
            let texts: Vec<&str> = scanned.iter().map(|s| s.text).collect();
            assert_eq!(texts, split.iter().map(|r| r.get()).collect::<Vec<_>>(), "{text}");
            assert_eq!(
                whole(parse_top(&Arc::new(text.clone()))),
                whole(parse_top_two_pass(&Arc::new(text)))
            );
        }
    }
    // An escaped member name after `entries`: not located; the two-pass reader decides.
    let text =
        Arc::new(format!(r#"{{"entries":[{small}],"n\u006f":1,"nextUpdate":"2024-01-01"}}"#));
    assert!(scan::top(&text).is_none());
    assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)));
}

/// Shapes the fast path must either give up on or read exactly like the general path.
#[test]
fn fast_path_agrees_on_odd_entries() {
    let (base, cases) = odd_entries();
    for case in cases {
        let raw: Box<RawValue> = serde_json::from_str(&case).unwrap();
        assert_eq!(both(&raw), general(&raw), "{case}");
    }
    // The base entry takes the fast path; a duplicate member does not.
    assert!(two_pass::entry(&base).is_some());
    assert!(two_pass::entry(&base.replacen("{", r#"{"aaguid":"x","#, 1)).is_none());
    // Nor an object with more members than the fast path's bound (the general path reads
    // it, with the same result).
    let many: String = (0..two_pass::MAX_MEMBERS).map(|i| format!(r#""extra{i}":{i},"#)).collect();
    let crowded = base.replacen("{", &format!("{{{many}"), 1);
    assert!(two_pass::entry(&crowded).is_none());
    let raw: Box<RawValue> = serde_json::from_str(&crowded).unwrap();
    assert_eq!(both(&raw), general(&raw));
    assert!(both(&raw).contains("\"entry.extra127\": 1"));
    // The one pass leaves it to the general path too.
    let text = Arc::new(format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":[{crowded}]}}"#));
    assert!(scan::top(&text).unwrap().1[0].read.is_none());
    assert_eq!(whole(parse_top(&text)), whole(parse_top_two_pass(&text)));
}

/// An ordinary entry and odd variations of it.
fn odd_entries() -> (String, Vec<String>) {
    let root = "MIIBfjCCASWgAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxGVCBGSURPIDAyMDAwIBcNMTYwNTAxMDAwMDAwWhgPMjA1MDA1MDEwMDAwMDBaMBcxFTATBgNVBAMMDEZUIEZJRE8gMDIwMDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNBmrRqVOxztTJVN19vtdqcL7tKQeol2nnM2/yYgvksZnr50SKbVgIEkzHQVOu80LVEE3lVheO1HjggxAlT6o4WjYDBeMB0GA1UdDgQWBBRJFWQt1bvG3jM6XgmV/IcjNtO/CzAfBgNVHSMEGDAWgBRJFWQt1bvG3jM6XgmV/IcjNtO/CzAMBgNVHRMEBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNHADBEAiAwfPqgIWIUB+QBBaVGsdHy0s5RMxlkzpSX/zSyTZmUpQIgB2wJ6nZRM8oX/nA43Rh6SJovM2XwCCH//+LirBAbB0M=";
    let base = json!({
        "aaguid": "0bb43545-fd2c-4185-87dd-feb0b2916ace",
        "metadataStatement": {
            "aaguid": "0bb43545-fd2c-4185-87dd-feb0b2916ace",
            "description": "d",
            "authenticatorVersion": 3,
            "attestationTypes": ["basic_full"],
            "attestationRootCertificates": [root],
            "icon": "data:image/png;base64,AAAA",
            "keyScope": "x",
            "newStatementThing": {"a": [1, 2]},
        },
        "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
        "timeOfLastStatusChange": "2020-01-01",
        "newEntryThing": true,
    })
    .to_string();
    let escaped_root = base.replace(&root[..20], &root[..20].replace('/', "\\/"));
    let cases: Vec<String> = vec![
        base.clone(),
        // Duplicates: the general path keeps the last one.
        base.replacen("{", r#"{"aaguid":"not a uuid","#, 1),
        base.replacen(r#""description":"d""#, r#""description":"d","description":5"#, 1),
        // The statement: null, wrong types, absent.
        base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":null,"x":{"#, 1),
        base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":5,"x":{"#, 1),
        base.replacen(r#""metadataStatement":{"#, r#""metadataStatement":[],"x":{"#, 1),
        base.replacen(r#""metadataStatement":{"#, r#""other":{"#, 1),
        // An entry-level null identifier shadows the statement's.
        base.replacen(r#""aaguid":"0bb4"#, r#""aaguid":null,"y":"0bb4"#, 1),
        // Escapes in names and in root strings; whitespace in a root.
        base.replacen(r#""keyScope""#, r#""key\u0053cope""#, 1),
        escaped_root,
        base.replacen(root, &format!("\\t{root}"), 1),
        base.replacen(root, &format!(" {root} "), 1),
        base.replacen(root, "not base64!", 1),
        base.replacen(r#"[""#, "[5,\"", 1),
        // Wrong types the core refuses.
        base.replacen(r#""authenticatorVersion":3"#, r#""authenticatorVersion":"3""#, 1),
        base.replacen(r#""statusReports":["#, r#""statusReports":5,"z":["#, 1),
        "[]".into(),
        "5".into(),
        "{}".into(),
    ];
    (base, cases)
}

#[test]
fn fast_top_agrees_on_odd_payloads() {
    let entries = r#"[{"aaguid":"0bb43545-fd2c-4185-87dd-feb0b2916ace","statusReports":[]}]"#;
    let cases = [
        format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":{entries}}}"#),
        format!(r#"{{"no":1,"no":2,"nextUpdate":"2024-01-01","entries":{entries}}}"#),
        format!(r#"{{"no":"1","nextUpdate":"2024-01-01","entries":{entries},"extra":1}}"#),
        r#"{"no":1,"nextUpdate":"2024-01-01","entries":null}"#.to_string(),
        r#"{"no":1,"nextUpdate":"2024-01-01","entries":{}}"#.to_string(),
        r#"{"no":1,"nextUpdate":"2024-01-01"}"#.to_string(),
        format!(r#"{{"no":1,"nextUpdate":"2024-01-01","entries":{entries}}} x"#),
        format!(r#"{{"no":1,"nextUpdate":"2024-13-01","legalHeader":5,"entries":{entries}}}"#),
        "[]".to_string(),
    ];
    let show = |t: Result<Top<'_>, PayloadError>| {
        format!(
            "{:?}",
            t.map(|t| (t.no, t.next_update, t.legal_header, t.entries.texts(), t.unknown))
        )
    };
    for case in cases {
        let case = Arc::new(case);
        assert_eq!(show(parse_top(&case)), show(parse_top_general(&case)), "{case}");
    }
}

#[test]
fn report_members_read_like_a_map() {
    for text in [
        r#"{"status":"A","status":"B","x":1,"x":2,"y":null,"url":"u"}"#,
        r#"{"st\u0061tus":"A","certificate":null,"zz":{"a":[1]},"aa":true}"#,
        r#"{}"#,
        r#"5"#,
        r#"[]"#,
        r#"null"#,
        r#"{"status":"A""#,
    ] {
        let map: Result<Members<'_>, _> = serde_json::from_str(text);
        let ours: Result<ReportMembers<'_>, _> = serde_json::from_str(text);
        match (map, ours) {
            (Ok(map), Ok(ours)) => {
                for field in STATUS_REPORT_FIELDS {
                    let raw = |r: Option<&RawValue>| r.map(|r| r.get().to_string());
                    assert_eq!(raw(map.get(*field).copied()), raw(ours.get(field)), "{text}");
                }
                let unknown: Vec<&str> = map
                    .keys()
                    .map(|k| k.as_ref())
                    .filter(|k| !STATUS_REPORT_FIELDS.contains(k))
                    .collect();
                let ours: Vec<&str> = ours.unknown.iter().map(|k| k.as_ref()).collect();
                assert_eq!(unknown, ours, "{text}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
            (a, b) => panic!("{text}: {} vs {}", a.is_ok(), b.is_ok()),
        }
    }
}

#[test]
fn listed_is_contains() {
    for list in [ENTRY_FIELDS, STATEMENT_FIELDS, STATUS_REPORT_FIELDS, ENTRY_READ, STATEMENT_READ] {
        for name in ENTRY_FIELDS.iter().chain(STATEMENT_FIELDS).chain(STATUS_REPORT_FIELDS) {
            assert_eq!(listed(list, name), list.contains(name), "{name}");
            for odd in [format!("{name}x"), format!("x{name}"), name.replacen('a', "b", 1)] {
                assert_eq!(listed(list, &odd), list.contains(&odd.as_str()), "{odd}");
            }
        }
        assert!(!listed(list, ""));
    }
    assert!(listed(&[String::new()], ""));
}

#[test]
fn roots_cache_gives_the_same_certificates_and_notes_per_entry() {
    let roots = crate::mds::builtin_roots();
    let b64 = STANDARD.encode(roots[0].cert.der());
    let two = STANDARD.encode([roots[0].cert.der(), roots[1].cert.der()].concat());
    let mut cache = RootsCache::new(3, RootCheck::Frame);
    for text in [format!(" {b64}"), two.clone(), "%%".into(), format!(" {b64}"), two.clone()] {
        let text: Cow<'_, str> = Cow::Owned(text);
        let mut notes = Vec::new();
        let mut got = Vec::new();
        let mut budget = CertBudget::new(3);
        cache.apply(text.clone(), &mut budget, &mut got, &mut |n| notes.push(n)).unwrap();
        let mut fresh_notes = Vec::new();
        let mut fresh = Vec::new();
        let mut fresh_budget = CertBudget::new(3);
        RootsDecoded::decode(&text, 3, RootCheck::Frame)
            .apply(&mut fresh_budget, &mut fresh, &mut |n| fresh_notes.push(n))
            .unwrap();
        assert_eq!(notes, fresh_notes);
        assert_eq!(budget, fresh_budget);
        let ders = |v: &[Arc<LazyCert>]| v.iter().map(|c| c.der().to_vec()).collect::<Vec<_>>();
        assert_eq!(ders(&got), ders(&fresh));
    }
    assert_eq!(cache.len(), 3);
    // The budget still refuses: two certificates with one left.
    let mut budget = CertBudget::new(1);
    let err = cache.apply(Cow::Owned(two), &mut budget, &mut Vec::new(), &mut |_| ()).unwrap_err();
    assert_eq!(err, CertBudgetExceeded { max: 1 });
    assert!(err.to_string().contains("too many certificates"));
    // More pieces than the cache parses: refused by the budget all the same.
    let three = STANDARD.encode([roots[0].cert.der(); 4].concat());
    let mut budget = CertBudget::new(3);
    let err =
        cache.apply(Cow::Owned(three), &mut budget, &mut Vec::new(), &mut |_| ()).unwrap_err();
    assert_eq!(err, CertBudgetExceeded { max: 3 });
    assert!(err.to_string().contains("too many certificates"));
}

/// The direct reading of `YYYY-MM-DD` gives what the format description gives, and defers to it
/// for anything else (so the errors stay its own).
#[test]
fn dates_read_as_the_format_description_reads_them() {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let by_format = |text: &str| {
        time::Date::parse(text, &format)
            .map_err(|reason| DateError { text: text.to_string(), reason })
    };
    for year in ["0000", "0001", "1900", "2000", "2023", "2024", "2100", "9999"] {
        for month in 0..=13 {
            for day in 0..=32 {
                let text = format!("{year}-{month:02}-{day:02}");
                assert_eq!(members::parse_date(&text), by_format(&text), "{text}");
            }
        }
    }
    for text in [
        "",
        "2024-1-01",
        "2024-01-1",
        " 2024-01-01",
        "2024-01-01 ",
        "+2024-01-01",
        "-2024-01-01",
        "2024/01/01",
        "20240101",
        "2024-01-01T00:00:00Z",
        "12024-01-01",
        "2024-0a-01",
        "٢٠٢٤-01-01",
    ] {
        assert_eq!(members::parse_date(text), by_format(text), "{text}");
    }
}

/// The `match`es `field_list!` generates agree with the lists.
#[test]
fn field_places_match_their_lists() {
    type Place = fn(&str) -> Option<usize>;
    let lists: [(&[&str], Place); 3] = [
        (ENTRY_FIELDS, entry::entry_field),
        (STATEMENT_FIELDS, entry::statement_field),
        (STATUS_REPORT_FIELDS, status::report_field),
    ];
    for (list, place) in lists {
        for (at, name) in list.iter().enumerate() {
            assert_eq!(place(name), Some(at), "{name}");
            assert_eq!(place(&name.to_uppercase()), None);
            assert_eq!(place(&format!("{name} ")), None);
        }
        assert_eq!(place(""), None);
    }
}

#[test]
fn whitespace_search_is_is_ascii_whitespace() {
    for byte in 0..=255u8 {
        for text in [vec![byte], vec![b'A'; 40].into_iter().chain([byte]).collect()] {
            let expected = text.iter().any(u8::is_ascii_whitespace);
            assert_eq!(roots::has_ascii_whitespace(&text), expected, "{byte}");
        }
    }
}

/// Entry strings are ranges of the shared payload (no copy per entry), except those with
/// escapes, which are decoded into strings of their own.
#[test]
fn entry_strings_share_the_payload() {
    let within = |inner: &str, outer: &str| {
        let (start, end) = (outer.as_ptr() as usize, outer.as_ptr() as usize + outer.len());
        (start..end).contains(&(inner.as_ptr() as usize))
    };
    let parsed = parse_payload(&real_payload(REAL[0]), &PayloadLimits::default()).unwrap();
    let mut shared = 0;
    for entry in parsed.store.entries() {
        for text in [entry.description(), entry.aaid(), entry.key_scope()].into_iter().flatten() {
            assert!(within(text, entry.raw_json()), "{text}");
            shared += 1;
        }
    }
    assert!(shared >= 280, "{shared}");
    let text = br#"{"no":1,"nextUpdate":"2024-01-01","entries":[{"aaid":"FFFF#0001",
        "metadataStatement":{"description":"caf\u00e9 \"d\"","keyScope":"x"},"statusReports":[]}]}"#;
    let parsed = parse_payload(text, &PayloadLimits::default()).unwrap();
    let entry = &parsed.store.entries()[0];
    assert_eq!(entry.description(), Some("café \"d\""));
    assert!(!within(entry.description().unwrap(), entry.raw_json()));
    assert!(within(entry.key_scope().unwrap(), entry.raw_json()));
    assert!(within(entry.aaid().unwrap(), entry.raw_json()));
}

/// A corruption of a pinned root that [`Cert::check_frame`] accepts and [`Cert::from_der`]
/// refuses (inside the names or the key, which only the full parse reads).
pub(super) fn frame_only_corruption() -> Vec<u8> {
    let good = crate::mds::builtin_roots()[0].cert.der().to_vec();
    (0..good.len())
        .flat_map(|i| {
            [0x01u8, 0x80, 0xff].map(|flip| {
                let mut bad = good.clone();
                bad[i] ^= flip;
                bad
            })
        })
        .find(|bad| Cert::check_frame(bad).is_ok() && Cert::from_der(bad).is_err())
        .unwrap()
}

/// A BLOB's roots are checked at load as far as their frame ([`RootCheck::Frame`]); one that
/// only the full parse refuses is kept, then left out on first use. Statement files check in
/// full ([`RootCheck::Full`]): the same root is left out at load, with its note.
#[test]
fn blob_roots_are_checked_by_frame_and_parsed_on_first_use() {
    let good = STANDARD.encode(crate::mds::builtin_roots()[0].cert.der());
    let bad = STANDARD.encode(frame_only_corruption());
    let read = |text: &str, check| {
        let (mut roots, mut notes) = (Vec::new(), Vec::new());
        RootsDecoded::decode(text, 3, check)
            .apply(&mut CertBudget::new(3), &mut roots, &mut |n| notes.push(n))
            .unwrap();
        (roots, notes)
    };
    let (roots, notes) = read(&bad, RootCheck::Frame);
    assert_eq!((roots.len(), notes.len()), (1, 0));
    assert!(roots[0].get().is_none(), "left out on first use");
    let (roots, notes) = read(&bad, RootCheck::Full);
    assert!(roots.is_empty());
    assert!(matches!(notes[..], [RootNote::NotACertificate(_)]), "{notes:?}");
    // A sound root is kept by both and parses.
    for check in [RootCheck::Frame, RootCheck::Full] {
        let (roots, notes) = read(&good, check);
        assert!(notes.is_empty() && roots[0].get().is_some());
    }
}

/// Reports name an entry by its aaguid, else its aaid, else its key identifiers, as the payload
/// writes them; the fast path (which writes the name out only when a report needs it) and the
/// general path give the same names, for a refused entry and for one loaded with a warning.
#[test]
fn reports_name_the_entry_by_aaguid_else_aaid_else_key_identifiers() {
    let bad_date = r#"[{"status":"FIDO_CERTIFIED","effectiveDate":"2024-13-01"}]"#;
    let refused = [
        (
            r#"{"aaguid":"not-a-uuid","aaid":"FFFF#0001","statusReports":[]}"#.to_string(),
            Some("aaguid:not-a-uuid"),
        ),
        (r#"{"aaguid":"\u0041-escaped","statusReports":[]}"#.to_string(), Some("aaguid:A-escaped")),
        (
            format!(
                r#"{{"aaid":"FFFF#0001","attestationCertificateKeyIdentifiers":["AB"],"statusReports":{bad_date}}}"#
            ),
            Some("aaid:FFFF#0001"),
        ),
        (
            format!(
                r#"{{"attestationCertificateKeyIdentifiers":["AB","cd"],"statusReports":{bad_date}}}"#
            ),
            Some("key_identifiers:AB,cd"),
        ),
        (
            format!(r#"{{"metadataStatement":{{"aaid":"EEEE#0002"}},"statusReports":{bad_date}}}"#),
            Some("aaid:EEEE#0002"),
        ),
        (format!(r#"{{"statusReports":{bad_date}}}"#), None),
    ];
    for (text, want) in &refused {
        for fast in [true, false] {
            let want = (want.map(String::from), false, 0);
            assert_eq!(named(text, fast), want, "{text} (fast path: {fast})");
        }
    }
    // Loaded with a warning (a root that is not base64): the warning names the entry.
    let warned = r#"{"attestationCertificateKeyIdentifiers":["AB"],"aaid":"FFFF#0001",
        "metadataStatement":{"attestationRootCertificates":["not-base64!"]},"statusReports":[]}"#;
    for fast in [true, false] {
        let want = (Some("aaid:FFFF#0001".to_string()), true, 1);
        assert_eq!(named(warned, fast), want, "fast path: {fast}");
    }
}

/// The name reports give an entry parsed by the fast path or the general path, whether it was
/// loaded, and how many notes it has.
fn named(text: &str, fast: bool) -> (Option<String>, bool, usize) {
    let raw: &RawValue = serde_json::from_str(text).unwrap();
    let limits = PayloadLimits::default();
    let mut cache = RootsCache::new(limits.max_certs_per_entry, RootCheck::Frame);
    let (mut unknown, mut notes) = (UnknownCounts::default(), Vec::new());
    let raw_json = RawJson::owned(text);
    let result = if fast {
        parse_entry(raw, raw_json, &limits, &mut cache, &mut unknown, &mut notes)
    } else {
        parse_entry_general(text, raw_json, &limits, &mut cache, &mut unknown, &mut notes)
    };
    match result {
        Ok((_, id)) => (id.text(), true, notes.len()),
        Err(Refused { id, .. }) => (id, false, notes.len()),
    }
}
