#!/usr/bin/env python3
"""Joins the verdicts of mdsd, python-fido2 and SimpleWebAuthn on case id and prints a Markdown
report: counts per format, the adversarial cases against what ../shared/REFERENCE.md §2 says
they should get, every disagreement with the finding(s) that explain it, and every case.

    compare.py --cases cases.json --mdsd mdsd.jsonl --fido2 fido2.jsonl --swa swa.jsonl \
               [--meta meta.json] [--json joined.json]

A verdict is one of:
  invalid        the statement or the ceremony is refused
  valid          the statement is accepted, nothing is vouched for
  MDS: <model>   vouched for through the metadata entry described as <model>
  root           vouched for through a non-MDS root (Apple / Google built-in or operator anchor)
Tools agree on a case when the three verdicts are equal.

Findings (FINDINGS below) explain disagreements; each is matched on the case and on the tools'
own messages, so that a re-run after a change in any tool is explained again or shows up as
UNEXPLAINED. Standard library only.
"""

import argparse
import json
import sys
from collections import Counter, defaultdict

TOOLS = ["mdsd", "python-fido2", "simplewebauthn"]
# The fields of mdsd's AttestationResult::to_json() when this harness was written; the report
# lists any new one (e.g. what the trust-provenance fix adds) with its values.
MDSD_BASELINE_KEYS = {
    "statement_valid", "trusted", "format", "attestation_type", "aaguid", "authenticator",
    "credential_id", "credential_public_key", "credential_alg", "sign_count", "flags",
    "credential_kind", "kind_conflict", "trust_path", "anchor", "metadata_no", "reasons",
}
SHORT = {"mdsd": "mdsd", "python-fido2": "python-fido2", "simplewebauthn": "SimpleWebAuthn"}


def verdict(d):
    if d is None:
        return "missing"
    if not d.get("statement_valid"):
        return "invalid"
    if not d.get("trusted"):
        return "valid"
    if d.get("by_metadata"):
        return f"MDS: {(d.get('entry') or {}).get('description')}"
    return "root"


def expected_verdict(c):
    t = c.get("expected_trust")
    if t is not None:
        if c.get("expected") == "invalid":
            return "invalid"
        if not t.get("trusted"):
            return "valid"
        return f"MDS: {t.get('entry')}"
    return c.get("expected")  # shared vectors: statement validity only ("valid"/"invalid")


def judge_against(expected, got):
    """How a tool's verdict on a generated case compares with the expected one."""
    if got == expected:
        return "ok"
    if got.startswith("MDS:") or got == "root":
        return "UNSAFE"  # vouches for something it must not (or for the wrong model)
    if expected == "invalid":
        return "lenient"  # accepts a malformed statement, vouches for nothing
    return "stricter"  # refuses more than needed: safe


def msg(d):
    return (d or {}).get("detail") or ""


def fmt_of(c):
    return c.get("format")


def gen(c, prefix):
    return c.get("source") == "generated" and c["id"].startswith(prefix)


# ---- findings -----------------------------------------------------------------------------------
# Each: id, who is wrong (kind), text, and a predicate over (case, {tool: result}, {tool: verdict}).

FINDINGS = [
    (
        "u2f-aaguid",
        "python-fido2 bug; mdsd bug until the trust-provenance fix; SimpleWebAuthn stricter (safe)",
        "fido-u2f signs neither the AAGUID nor the flags nor signCount (REFERENCE §2): the entry "
        "must be selected by the attestation certificate's key identifier. python-fido2 2.2.1 "
        "(MdsAttestationVerifier.ca_lookup) selects it by the authData AAGUID whenever that is not "
        "zero, finds the rewritten model (its root is the same Yubico U2F root, so the chain "
        "passes) and vouches for it: a U2F-only key registers as a 'YubiKey 5 FIPS Series'. mdsd "
        "without the fix does the same (attestation::trust::find_entry looks the AAGUID up "
        "first whatever the format): compare its column with the expected one. SimpleWebAuthn "
        "refuses any fido-u2f statement whose AAGUID is not zero ('AAGUID … was not expected "
        "value'): WebAuthn §8.6 does not read the AAGUID, so this is stricter than the spec, and "
        "safe. For the REVOKED AAGUID (TruU Windows Authenticator), python-fido2 drops the "
        "revoked entry and finds nothing (it never falls back to the key identifier when the "
        "AAGUID is not zero), mdsd-before-the-fix picks the TruU entry and fails its chain: both "
        "end 'valid' where the key identifier vouches for the real model.",
        lambda c, r, v: gen(c, "adv-u2f-aaguid"),
    ),
    (
        "u2f-x5c-count",
        "peers lenient (spec violation); mdsd right",
        "WebAuthn §8.6 step 2: a fido-u2f x5c has exactly one certificate. mdsd refuses the "
        "statement (MALFORMED_STATEMENT); python-fido2 and SimpleWebAuthn accept it. python-fido2 "
        "then takes x5c as the chain in order: with the Yubico root appended it checks leaf <- root "
        "<- root and vouches for the leaf's model (harmless here, but a malformed statement is "
        "trusted); with another model's certificate appended it looks the entry up by that "
        "second certificate (find_entry_by_chain walks every x5c certificate: 'YubiKey 5 FIPS "
        "Series with NFC'), and only the in-order signature check (leaf not signed by it) stops "
        "the wrong trust: the lookup by a non-signing certificate is a latent python-fido2 bug. "
        "mdsd's find_entry walks every x5c certificate too (a latent bug of ours for a nil-AAGUID "
        "packed or tpm statement), but its x5c length check makes it unreachable for fido-u2f.",
        lambda c, r, v: gen(c, "adv-u2f-x5c"),
    ),
    (
        "packed-x5c-extra",
        "policy difference (python-fido2 and SimpleWebAuthn stricter, safe)",
        "packed signs authData (its AAGUID selects the entry) but not x5c: a certificate appended "
        "off the path changes nothing for a path builder (mdsd: x5c is an unordered bag). "
        "SimpleWebAuthn refuses an x5c that contains its anchor ('found duplicate certificates', "
        "reported as 'Unexpected error while validating certificate path'); python-fido2 checks "
        "x5c in the given order and picks the root by the last certificate's issuer, so an "
        "unrelated certificate at the end breaks the chain ('No root found' / untrusted). Both "
        "are strict readings of 'x5c: the chain, each certifying the previous': safe.",
        lambda c, r, v: gen(c, "adv-packed-x5c"),
    ),
    (
        "swa-no-u2f-trust",
        "SimpleWebAuthn limitation (policy)",
        "SimpleWebAuthn never vouches for a fido-u2f authenticator: MetadataService is keyed by "
        "AAGUID only (fido-u2f's is zero) and SettingsService has no default 'fido-u2f' roots, so "
        "verifyAttestationFIDOU2F validates no chain at all (validateCertificatePath returns true "
        "without anchors): 'verified: true' only means the signature is right. An RP must set "
        "'fido-u2f' roots itself; MDS key identifiers are never used.",
        lambda c, r, v: fmt_of(c) == "fido-u2f"
        and v["simplewebauthn"] == "valid"
        and (v["mdsd"].startswith("MDS:") or v["python-fido2"].startswith("MDS:")),
    ),
    (
        "swa-u2f-nonzero-aaguid",
        "SimpleWebAuthn stricter than the spec (safe)",
        "This fido-u2f vector carries a non-zero AAGUID (the W3C test vectors set one); "
        "SimpleWebAuthn refuses it ('AAGUID … was not expected value'), mdsd and python-fido2 "
        "accept the statement (WebAuthn §8.6 does not read the AAGUID) and vouch for nothing "
        "(the W3C test CA is in no metadata).",
        lambda c, r, v: fmt_of(c) == "fido-u2f"
        and c.get("source") == "shared"
        and "was not expected value" in msg(r["simplewebauthn"]),
    ),
    (
        "swa-metadata-algs",
        "SimpleWebAuthn extra check (policy; arguably a bug for the statement alg)",
        "SimpleWebAuthn's verifyAttestationWithMetadata also requires the credential key's "
        "algorithm to be in the entry's authenticationAlgorithms and the attestation statement's "
        "alg to be in authenticatorGetInfo.algorithms. Real devices use more than their metadata "
        "lists (Windows Hello TPMs attest with RS1 = -65535 and create ES256 keys; a YubiKey "
        "creates RS256 keys), so SimpleWebAuthn refuses trust where mdsd and python-fido2 vouch "
        "for the model. Neither WebAuthn nor MDS3 asks for this; comparing the attestation alg "
        "with getInfo.algorithms (the credential algorithms) mixes up two different keys.",
        lambda c, r, v: "did not match one of" in msg(r["simplewebauthn"])
        or "did not match any of the following metadata algorithms" in msg(r["simplewebauthn"]),
    ),
    (
        "cbor-indefinite",
        "peers stricter (policy; not a trust question)",
        "The java-webauthn-server synthetic vectors encode the attestationObject with "
        "indefinite-length maps (0xbf). python-fido2's CBOR decoder ('Invalid additional "
        "information') and SimpleWebAuthn's ('Length not supported or not well formed') accept "
        "definite lengths only (the CTAP2 canonical form authenticators emit); mdsd decodes any "
        "well-formed CBOR. Their test-CA chains are in no metadata, so no trust is at stake.",
        lambda c, r, v: "Invalid additional information" in msg(r["python-fido2"])
        or "Length not supported or not well formed" in msg(r["simplewebauthn"]),
    ),
    (
        "py-no-android-key",
        "python-fido2 limitation",
        "python-fido2 2.2.1 has no android-key verifier ('Attestation format \"android-key\" is "
        "not supported'): the statement is refused.",
        lambda c, r, v: 'format "android-key" is not supported' in msg(r["python-fido2"]),
    ),
    (
        "py-strict-x509",
        "python-fido2 stricter (pyca/cryptography's X.509/DER parser)",
        "python-fido2 parses certificates with pyca/cryptography, which refuses DER that mdsd and "
        "SimpleWebAuthn accept (a DEFAULT value encoded, extra data in a policy qualifier, a "
        "BOOLEAN that is not 0x00/0xff), or demands a basicConstraints extension that a test "
        "certificate omits (absent means CA=false per RFC 5280). PROVENANCE.md tags these "
        "vectors [STRICT-DER]/[STRICT-X509]. Not a trust question.",
        lambda c, r, v: any(
            s in msg(r["python-fido2"])
            for s in (
                "error parsing asn1 value",
                "for boolean",
                "must have Basic Constraints",
            )
        ),
    ),
    (
        "py-ps384",
        "python-fido2 limitation",
        "python-fido2 refuses this packed self attestation with an RSA-PSS SHA-384 (PS384) key "
        "('Wrong algorithm of public key!'); mdsd and SimpleWebAuthn verify it.",
        lambda c, r, v: "Wrong algorithm of public key" in msg(r["python-fido2"]),
    ),
    (
        "swa-alg-support",
        "SimpleWebAuthn / Node runtime limitation",
        "SimpleWebAuthn has no Ed448 (COSE -53: 'Unexpected public key alg') and Node 20's "
        "WebCrypto has no ML-DSA ('does not support use of ML-DSA-…'): it refuses the "
        "registration before looking at the statement. mdsd and python-fido2 verify the "
        "statement (made by an ES256 attestation key) and keep the credential key as is.",
        lambda c, r, v: 'Unexpected public key alg "-53"' in msg(r["simplewebauthn"])
        or "does not support use of ML-DSA" in msg(r["simplewebauthn"]),
    ),
    (
        "swa-tpm-manufacturer",
        "SimpleWebAuthn extra check (policy)",
        "SimpleWebAuthn checks the TPM manufacturer in the AIK certificate's SAN against its "
        "list of TPM vendor IDs; the W3C test vector's 'id:00000000' is not in it. WebAuthn §8.3 "
        "does not ask for this. (python-fido2 refuses the same vector for a DER reason.)",
        lambda c, r, v: "Could not match TPM manufacturer" in msg(r["simplewebauthn"]),
    ),
    (
        "py-no-tpm-aaguid-ext",
        "python-fido2 bug",
        "The AIK certificate's id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4) differs "
        "from the authData AAGUID. WebAuthn §8.3 (tpm) requires them to match; python-fido2's "
        "TPM verifier does not check the extension (its packed verifier does) and accepts the "
        "statement. Here the claimed AAGUID is in no metadata, so nothing is trusted, but with "
        "two models under one root python-fido2 would vouch for the claimed one.",
        lambda c, r, v: fmt_of(c) == "tpm"
        and v["python-fido2"] != "invalid"
        and "id-fido-gen-ce-aaguid" in msg(r["simplewebauthn"]),
    ),
    (
        "token-binding",
        "peers differ on the legacy tokenBinding member",
        "clientDataJSON.tokenBinding (WebAuthn L2, dropped in L3). With status 'not-supported' "
        "(not a value of L2's TokenBindingStatus; py_webauthn refuses it: expected invalid) mdsd "
        "refuses, SimpleWebAuthn accepts (it still lists the L1 value), python-fido2 ignores the "
        "member (Fido2Server does not read it) and vouches for the key. With the string 'unused' "
        "instead of an object (expected valid) SimpleWebAuthn refuses, mdsd and python-fido2 "
        "ignore it. A ceremony question: the attestation is the same real YubiKey 4 in both.",
        lambda c, r, v: "unsupported-token-binding" in c["id"],
    ),
    (
        "swa-malformed-cose",
        "SimpleWebAuthn lenient (peer bug)",
        "The credential public key is a malformed COSE_Key (map header says 3 entries but 4 "
        "follow; kty/crv as text; x as an array). mdsd and python-fido2 refuse the registration; "
        "SimpleWebAuthn accepts a 'none' registration with it, so the RP stores a key it cannot "
        "use.",
        lambda c, r, v: "invalid-cbor" in c["id"] and v["simplewebauthn"] != "invalid",
    ),
    (
        "py-mds-only",
        "policy difference (python-fido2 trusts MDS roots only)",
        "python-fido2's MdsAttestationVerifier knows only the roots in MDS; Apple's WebAuthn root "
        "(and Google's) are not in MDS, so an Apple attestation stays untrusted. mdsd is given "
        "SimpleWebAuthn's built-in Apple / Google / GlobalSign roots as operator extra anchors "
        "(run.sh), so it and SimpleWebAuthn vouch for the platform (verdict 'root'), not for a "
        "model. A python-fido2 RP adds its own AttestationVerifier for these.",
        lambda c, r, v: v["python-fido2"] == "valid" and "root" in (v["mdsd"], v["simplewebauthn"]),
    ),
]
FINDING = {f[0]: f for f in FINDINGS}


def explain(c, r, v):
    return [fid for fid, _, _, pred in FINDINGS if pred(c, r, v)]


# ---- report -------------------------------------------------------------------------------------


def cell(s):
    return str(s).replace("|", "\\|")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", required=True)
    p.add_argument("--mdsd", required=True)
    p.add_argument("--fido2", required=True)
    p.add_argument("--swa", required=True)
    p.add_argument("--meta", help="JSON object of run facts (versions, times) for the header")
    p.add_argument("--json", help="write the joined verdicts here")
    a = p.parse_args()

    cases = json.load(open(a.cases))
    results = {}
    for tool, path in (("mdsd", a.mdsd), ("python-fido2", a.fido2), ("simplewebauthn", a.swa)):
        results[tool] = {}
        for line in open(path):
            if line.strip():
                d = json.loads(line)
                results[tool][d["id"]] = d

    rows = []
    for c in cases:
        r = {t: results[t].get(c["id"]) for t in TOOLS}
        v = {t: verdict(r[t]) for t in TOOLS}
        agree = len(set(v.values())) == 1
        rows.append(
            {
                "case": c,
                "r": r,
                "v": v,
                "agree": agree,
                "expected": expected_verdict(c),
                "findings": [] if agree else explain(c, r, v),
            }
        )

    out = []
    w = out.append
    w("# Differential run: trust verdicts of mdsd, python-fido2 and SimpleWebAuthn\n")
    if a.meta:
        meta = json.load(open(a.meta))
        w("| | |\n| --- | --- |")
        for k, val in meta.items():
            w(f"| {cell(k)} | {cell(val)} |")
        w("")
    w(
        "Verdicts: `invalid` statement or ceremony refused · `valid` accepted, nothing vouched "
        "for · `MDS: <model>` vouched for through that metadata entry · `root` vouched for "
        "through a non-MDS root (Apple/Google built-ins). `expected`: the vector's statement "
        "outcome (shared) or the verdict REFERENCE.md §2 implies (generated).\n"
    )

    # Counts per format.
    w("## Counts per format\n")
    w("| cases | format | n | all three agree | disagree | mdsd = python-fido2 | mdsd = SimpleWebAuthn | python-fido2 = SimpleWebAuthn |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for source in ("shared", "generated"):
        by = defaultdict(list)
        for row in rows:
            if row["case"].get("source") == source:
                by[fmt_of(row["case"])].append(row)
        tot = Counter()
        for f in sorted(by):
            rs = by[f]
            n = Counter(
                {
                    "n": len(rs),
                    "agree": sum(x["agree"] for x in rs),
                    "mp": sum(x["v"]["mdsd"] == x["v"]["python-fido2"] for x in rs),
                    "ms": sum(x["v"]["mdsd"] == x["v"]["simplewebauthn"] for x in rs),
                    "ps": sum(x["v"]["python-fido2"] == x["v"]["simplewebauthn"] for x in rs),
                }
            )
            tot.update(n)
            w(f"| {source} | {f} | {n['n']} | {n['agree']} | {n['n'] - n['agree']} | {n['mp']} | {n['ms']} | {n['ps']} |")
        w(
            f"| **{source}** | **all** | **{tot['n']}** | **{tot['agree']}** | **{tot['n'] - tot['agree']}** "
            f"| **{tot['mp']}** | **{tot['ms']}** | **{tot['ps']}** |"
        )
    w("")

    # Adversarial cases against the expectation.
    gen_rows = [x for x in rows if x["case"].get("source") == "generated"]
    w("## Adversarial cases (generated by examples/differential.rs)\n")
    w("Each tool against the expected verdict: ✓ as expected · **UNSAFE** vouches for what it "
      "must not (or for the wrong model) · *stricter* refuses more (safe) · *lenient* accepts a "
      "malformed statement without vouching.\n")
    w("| case | mutation | expected | mdsd | python-fido2 | SimpleWebAuthn |")
    w("| --- | --- | --- | --- | --- | --- |")
    for x in gen_rows:
        c = x["case"]
        marks = []
        for t in TOOLS:
            j = judge_against(x["expected"], x["v"][t])
            mark = {"ok": "✓", "UNSAFE": "**UNSAFE**", "stricter": "*stricter*", "lenient": "*lenient*"}[j]
            named = (x["r"][t] or {}).get("entry") or {}
            also = ""
            if named.get("description") and not named.get("verified"):
                also = f" (names {cell(named['description'])}, unverified)"
            marks.append(f"{cell(x['v'][t])} {mark}{also}")
        w(f"| `{c['id']}` | {cell(c.get('mutation'))} | {cell(x['expected'])} | " + " | ".join(marks) + " |")
    w("")
    for t in TOOLS:
        tally = Counter(judge_against(x["expected"], x["v"][t]) for x in gen_rows)
        w(f"- {SHORT[t]}: " + ", ".join(f"{k} {n}" for k, n in sorted(tally.items())))
    w("")

    # Disagreements.
    dis = [x for x in rows if not x["agree"]]
    w(f"## Disagreements ({len(dis)} of {len(rows)} cases)\n")
    w("| case | format | expected | mdsd | python-fido2 | SimpleWebAuthn | findings |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for x in dis:
        c = x["case"]
        f = ", ".join(f"[{fid}](#{fid})" for fid in x["findings"]) or "**UNEXPLAINED**"
        w(
            f"| `{c['id']}` | {fmt_of(c)} | {cell(x['expected'])} | {cell(x['v']['mdsd'])} | "
            f"{cell(x['v']['python-fido2'])} | {cell(x['v']['simplewebauthn'])} | {f} |"
        )
    w("")
    w("### Findings (a case can have several)\n")
    used = Counter(fid for x in dis for fid in x["findings"])
    for fid, kind, text, _ in FINDINGS:
        if not used[fid]:
            continue
        w(f'<a id="{fid}"></a>\n\n#### {fid} ({used[fid]} cases) — {kind}\n\n{text}\n')
        w("| case | expected | mdsd | python-fido2 | SimpleWebAuthn |")
        w("| --- | --- | --- | --- | --- |")
        for x in dis:
            if fid in x["findings"]:
                w(
                    f"| `{x['case']['id']}` | {cell(x['expected'])} | {cell(x['v']['mdsd'])} | "
                    f"{cell(x['v']['python-fido2'])} | {cell(x['v']['simplewebauthn'])} |"
                )
        w("")
        gen_here = [x for x in dis if fid in x["findings"] and x["case"].get("source") == "generated"]
        if gen_here:
            parts = []
            for t in TOOLS:
                tally = Counter(judge_against(x["expected"], x["v"][t]) for x in gen_here)
                parts.append(f"{SHORT[t]} " + ", ".join(f"{k} {n}" for k, n in sorted(tally.items())))
            w("Against the expected verdict in these cases: " + "; ".join(parts) + ".\n")
    unexplained = [x["case"]["id"] for x in dis if not x["findings"]]
    if unexplained:
        w("**UNEXPLAINED** (no finding matches; look at the tools' messages below): " + ", ".join(f"`{u}`" for u in unexplained) + "\n")

    # All three agree, against the shared vector's expected statement outcome.
    against = [
        x for x in rows
        if x["agree"] and x["case"].get("source") == "shared"
        and (x["v"]["mdsd"] == "invalid") != (x["expected"] == "invalid")
    ]
    if against:
        w("## Agreements against the vector's expected outcome\n")
        w("The three tools agree, but not with `expected` in vectors.json (mdsd lists its reasons in "
          "testdata/attestation-exceptions.json); the reasons may differ per tool:\n")
        for x in against:
            w(f"- `{x['case']['id']}`: expected {x['expected']}, all three {x['v']['mdsd']}")
            for t in TOOLS:
                m = msg(x["r"][t])
                if m:
                    w(f"  - {SHORT[t]}: {cell(m[:300])}")
        w("")

    # What each tool reports of the unsigned claims (flags, signCount) on the mutated cases.
    flag_rows = [x for x in gen_rows if any(k in (x["case"].get("mutation") or "") for k in ("flags", "signCount"))]
    if flag_rows:
        w("## Unsigned claims as each tool reports them\n")
        w("fido-u2f signs no flags and no signCount: every value below is the client's claim. "
          "`uv/be/bs/signCount` per tool; mdsd's `credential_kind` (from BE) beside.\n")
        w("| case | mdsd | python-fido2 | SimpleWebAuthn |")
        w("| --- | --- | --- | --- |")
        for x in flag_rows:
            cells = []
            for t in TOOLS:
                d = x["r"][t] or {}
                f = d.get("flags") or {}
                txt = "/".join("1" if f.get(k) else "0" for k in ("uv", "be", "bs")) + f" · {d.get('sign_count')}"
                if t == "mdsd":
                    txt += f" · {(d.get('raw') or {}).get('credential_kind')}"
                cells.append(txt)
            w(f"| `{x['case']['id']}` | " + " | ".join(cells) + " |")
        w("")
    new_keys = sorted({k for x in rows for k in ((x["r"]["mdsd"] or {}).get("raw") or {})} - MDSD_BASELINE_KEYS)
    if new_keys:
        w("## mdsd result fields added since this harness was written\n")
        w("`AttestationResult::to_json()` now also has: " + ", ".join(f"`{k}`" for k in new_keys) + ". Their values on the generated cases:\n")
        w("| case | " + " | ".join(new_keys) + " |")
        w("| --- | " + " | ".join("---" for _ in new_keys) + " |")
        for x in gen_rows:
            raw = (x["r"]["mdsd"] or {}).get("raw") or {}
            w(f"| `{x['case']['id']}` | " + " | ".join(cell(json.dumps(raw.get(k))[:200]) for k in new_keys) + " |")
        w("")

    # Every case.
    w("## Every case\n")
    w("| case | format | expected | mdsd | python-fido2 | SimpleWebAuthn | agree |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for x in rows:
        c = x["case"]
        w(
            f"| `{c['id']}` | {fmt_of(c)} | {cell(x['expected'])} | {cell(x['v']['mdsd'])} | "
            f"{cell(x['v']['python-fido2'])} | {cell(x['v']['simplewebauthn'])} | {'✓' if x['agree'] else '✗'} |"
        )
    w("")
    w("## Messages of the disagreeing cases\n")
    for x in dis:
        w(f"- `{x['case']['id']}`")
        for t in TOOLS:
            m = msg(x["r"][t])
            if m:
                w(f"  - {SHORT[t]}: {cell(m[:400])}")
    print("\n".join(out))

    if a.json:
        json.dump(
            [
                {
                    "id": x["case"]["id"],
                    "format": fmt_of(x["case"]),
                    "source": x["case"].get("source"),
                    "expected": x["expected"],
                    "verdicts": x["v"],
                    "agree": x["agree"],
                    "findings": x["findings"],
                }
                for x in rows
            ],
            open(a.json, "w"),
            indent=1,
        )
    missing = [(t, c["id"]) for c in cases for t in TOOLS if c["id"] not in results[t]]
    if missing:
        print(f"warning: {len(missing)} verdicts missing, e.g. {missing[:3]}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
