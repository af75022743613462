#!/usr/bin/env python3
"""Times python-fido2 in process, warm, on the inputs of mdsd's benchmarks (scripts/peers/run.sh).

    bench_fido2.py blob --label real --blob B.jwt --root ROOT.der [--n 7] [--warmup 1]
    bench_fido2.py att --vectors vectors.json --blob B.jwt --root ROOT.der --id ID [--id ID ...]

Prints one JSON object per line (peer, case, timings, peak RSS from /proc/self/status VmHWM).

What is timed:
- blob: fido2.mds3.parse_blob(blob_bytes, root_der) = JWS split + base64/JSON decode, chain
  x5c[0] -> x5c[1] -> root (signatures only: python-fido2 checks no validity dates, no CRLs,
  builds no path), RS256 signature, MetadataBlobPayload.from_dict over every entry. The result is
  dropped inside the loop.
- att: bytes in: AttestationObject(bytes) + SHA-256(clientDataJSON) +
  MdsAttestationVerifier(payload).verify_attestation(...) = the format's statement check, the
  metadata lookup by AAGUID (REVOKED entries filtered out, ATTESTATION_KEY_COMPROMISE checked),
  the chain to the entry's attestationRootCertificates (signatures only, no validity dates).
  python-fido2's verifiers do not handle `none` (nothing to trust): for it, AttestationObject
  + NoneAttestation().verify (attStmt empty). No clientDataJSON checks (challenge/origin/type
  are Fido2Server's, not timed).
  Also 'pre-parsed': AttestationObject parsed once outside the loop, then
  Attestation.for_type(fmt)().verify + verify_x509_chain(trust_path + [root]) (the issue's
  "≈ 4,500/s (pre-parsed)" figure).
"""

import argparse
import base64
import hashlib
import json
import statistics
import sys
import time

from fido2.attestation import Attestation, UntrustedAttestation, verify_x509_chain
from fido2.mds3 import MdsAttestationVerifier, parse_blob
from fido2.webauthn import AttestationObject
from importlib.metadata import version as pkg_version


def status_kb(field):
    """A field of /proc/self/status in kB (VmHWM: peak resident set size, VmRSS: current)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def peak_rss_kb():
    return status_kb("VmHWM")


# Resident size once the interpreter and python-fido2 are loaded, before any input is read.
BASELINE_RSS_KB = status_kb("VmRSS")


def emit(**kw):
    kw = {"peer": "python-fido2", "version": pkg_version("fido2"), **kw}
    print(json.dumps(kw), flush=True)


def time_each(n, warmup, f):
    """Runs f warmup times untimed, then n times timed one by one; returns the wall times in ns
    and the mean process CPU time (all threads, user + system) per call in ns."""
    for _ in range(warmup):
        f()
    times = []
    c0 = time.process_time_ns()
    for _ in range(n):
        t0 = time.perf_counter_ns()
        f()
        times.append(time.perf_counter_ns() - t0)
    return times, (time.process_time_ns() - c0) / n


def per_call(f, batches=15, batch_secs=0.05, warm_secs=0.3):
    """Warm up for warm_secs (at least 10 calls), size batches to ~batch_secs, return the median
    per-call time (ns) over `batches` batches, the batch size and the mean process CPU time per
    call (ns) over the batches. Same scheme in all three
    timers (bench_simplewebauthn.mjs, examples/peer_inputs.rs)."""
    calls = 0
    t0 = time.perf_counter_ns()
    while calls < 10 or time.perf_counter_ns() - t0 < warm_secs * 1e9:
        f()
        calls += 1
    mean = (time.perf_counter_ns() - t0) / calls
    size = max(1, round(batch_secs * 1e9 / mean))
    per = []
    c0 = time.process_time_ns()
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        for _ in range(size):
            f()
        per.append((time.perf_counter_ns() - t0) / size)
    return statistics.median(per), size, (time.process_time_ns() - c0) / (batches * size)


def read_root(path):
    data = open(path, "rb").read()
    if data.startswith(b"-----BEGIN"):
        body = b"".join(l for l in data.splitlines() if l and not l.startswith(b"-----"))
        data = base64.b64decode(body)
    return data


def cmd_blob(a):
    blob = open(a.blob, "rb").read().strip()
    root = read_root(a.root)
    payload = parse_blob(blob, root)  # sanity: verifies (raises otherwise)
    entries = len(payload.entries)
    del payload
    first_rss = peak_rss_kb()
    times, cpu = time_each(a.n, a.warmup, lambda: parse_blob(blob, root))
    emit(
        case=f"blob:{a.label}",
        fn="fido2.mds3.parse_blob",
        bytes=len(blob),
        entries=entries,
        n=a.n,
        warmup=a.warmup,
        median_ms=statistics.median(times) / 1e6,
        min_ms=min(times) / 1e6,
        max_ms=max(times) / 1e6,
        cpu_ms=cpu / 1e6,
        peak_rss_kb=peak_rss_kb(),
        peak_rss_first_kb=first_rss,
        baseline_rss_kb=BASELINE_RSS_KB,
    )


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def cmd_att(a):
    vectors = {v["id"]: v for v in json.load(open(a.vectors))}
    payload = parse_blob(open(a.blob, "rb").read().strip(), read_root(a.root))
    verifier = MdsAttestationVerifier(payload)
    for vid in a.id:
        v = vectors[vid]
        ao_bytes = b64url(v["attestationObject_b64url"])
        cdj = b64url(v["clientDataJSON_b64url"])

        if v["format"] == "none":
            # python-fido2's verifiers leave `none` out (nothing to trust); its whole check is
            # NoneAttestation: attStmt must be empty.
            mode = "bytes-in, AttestationObject + NoneAttestation.verify"
            none_att = Attestation.for_type("none")()

            def bytes_in():
                ao = AttestationObject(ao_bytes)
                cdh = hashlib.sha256(cdj).digest()
                return none_att.verify(ao.att_stmt, ao.auth_data, cdh).attestation_type.name
        else:
            mode = "bytes-in, AttestationObject + MdsAttestationVerifier.verify_attestation"

            def bytes_in():
                ao = AttestationObject(ao_bytes)
                cdh = hashlib.sha256(cdj).digest()
                try:
                    verifier.verify_attestation(ao, cdh)
                    return "trusted"
                except UntrustedAttestation:
                    return "untrusted"

        outcome = bytes_in()
        med, size, cpu = per_call(bytes_in)
        emit(case=f"att:{v['format']}", vector=vid, mode=mode, outcome=outcome,
             median_us=med / 1e3, per_sec=1e9 / med, cpu_us=cpu / 1e3, batch=size, batches=15)
        if v["format"] == "none":
            continue

        # Pre-parsed: the statement check and the chain to the entry's root, nothing else.
        ao = AttestationObject(ao_bytes)
        cdh = hashlib.sha256(cdj).digest()
        att = Attestation.for_type(ao.fmt)()
        res = att.verify(ao.att_stmt, ao.auth_data, cdh)
        root = verifier.ca_lookup(res, ao.auth_data) if res.trust_path else None

        def pre_parsed():
            r = att.verify(ao.att_stmt, ao.auth_data, cdh)
            if root is not None:
                verify_x509_chain(r.trust_path + [root])

        pre_parsed()
        med, size, cpu = per_call(pre_parsed)
        emit(case=f"att:{v['format']}", vector=vid,
             mode="pre-parsed, Attestation.verify + verify_x509_chain",
             outcome=res.attestation_type.name, chain_to_root=root is not None,
             median_us=med / 1e3, per_sec=1e9 / med, cpu_us=cpu / 1e3, batch=size, batches=15)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("blob")
    b.add_argument("--label", required=True)
    b.add_argument("--blob", required=True)
    b.add_argument("--root", required=True, help="trust root, DER or PEM")
    b.add_argument("--n", type=int, default=7)
    b.add_argument("--warmup", type=int, default=1)
    t = sub.add_parser("att")
    t.add_argument("--vectors", required=True)
    t.add_argument("--blob", required=True)
    t.add_argument("--root", required=True)
    t.add_argument("--id", action="append", required=True)
    a = p.parse_args()
    {"blob": cmd_blob, "att": cmd_att}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
