#!/usr/bin/env python3
"""Prints the side-by-side table (Markdown) from the JSON lines written by scripts/peers/run.sh.

    table.py results.jsonl

Ratios are peer / mdsd of the medians measured in the same run (wall clock), and of the CPU time
per call (process CPU for the peers, the timing thread for mdsd). BLOB rows are compared with
mdsd's verify_blob on the same BLOB; attestation rows with mdsd's verify_registration (default
chain cache, warm) on the same vector, and with the chain cache off in the last column.
Peak RSS (VmHWM) of the process after all runs, after the first (untimed) run, and its resident
size before it read any input. Standard library only.
"""

import json
import sys


def fmt_ms(x):
    return f"{x:,.1f} ms" if x >= 10 else f"{x:,.2f} ms"


def fmt_us(x):
    return f"{x:,.0f} µs" if x >= 100 else f"{x:,.1f} µs"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:,.1f}×"


def mb(kb):
    return f"{kb / 1024:,.1f} MB" if kb else "—"


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    meta = [r for r in rows if r.get("peer") == "meta"]
    for m in meta:
        print(f"- {m['what']}: {m['value']}")
    print()

    blobs = [r for r in rows if r.get("case", "").startswith("blob:")]
    labels = list(dict.fromkeys(r["case"] for r in blobs))
    print("### BLOB verification + parse (in process, warm, median of N runs)\n")
    print("| BLOB | implementation (function) | N | median | CPU / run "
          "| peak RSS: all runs / 1st run / baseline | ÷ mdsd wall | ÷ mdsd CPU |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label in labels:
        group = [r for r in blobs if r["case"] == label]
        ref = next((r for r in group if r["peer"] == "mdsd"), None)
        size = next((r.get("bytes") for r in group if r.get("bytes")), None)
        entries = next((r.get("entries") for r in group if r.get("entries")), None)
        name = f"{label[5:]} ({size / 1e6:.2f} MB, {entries} entries)" if size else label[5:]
        for r in group:
            rss = " / ".join(mb(r.get(k)) for k in ("peak_rss_kb", "peak_rss_first_kb",
                                                      "baseline_rss_kb")) \
                if r.get("baseline_rss_kb") else mb(r.get("peak_rss_kb"))
            is_ref = r is ref
            print(f"| {name} | {r['peer']} {r['version']} `{r.get('fn', '?')}` | {r['n']} "
                  f"| {fmt_ms(r['median_ms'])} | {fmt_ms(r['cpu_ms'])} | {rss} "
                  f"| {'1' if is_ref else ratio(r['median_ms'], ref and ref['median_ms'])} "
                  f"| {'1' if is_ref else ratio(r['cpu_ms'], ref and ref['cpu_ms'])} |")
    print()

    atts = [r for r in rows if r.get("case", "").startswith("att:")]
    vectors = list(dict.fromkeys(r["vector"] for r in atts))
    print("### Attestation (registration) verification (in process, warm, median per call "
          "of 15 batches)\n")
    print("| vector | implementation (mode) | median / call | calls/s | CPU / call "
          "| ÷ mdsd wall | ÷ mdsd CPU | ÷ mdsd no-cache wall |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for vid in vectors:
        group = [r for r in atts if r["vector"] == vid]
        mds = [r for r in group if r["peer"] == "mdsd"]
        ref = next((r for r in mds if "cache (default)" in r["mode"]), None)
        ref_nc = next((r for r in mds if "no chain cache" in r["mode"]), None)
        for r in group:
            is_ref = r is ref
            print(f"| {r['case'][4:]}: {vid} | {r['peer']} {r['version']}: {r['mode']} "
                  f"| {fmt_us(r['median_us'])} | {r['per_sec']:,.0f} | {fmt_us(r['cpu_us'])} "
                  f"| {'1' if is_ref else ratio(r['median_us'], ref and ref['median_us'])} "
                  f"| {'1' if is_ref else ratio(r['cpu_us'], ref and ref['cpu_us'])} "
                  f"| {ratio(r['median_us'], ref_nc and ref_nc['median_us'])} |")
    print()
    print("Outcomes (each implementation's verdict on the vector):\n")
    for r in atts:
        print(f"- {r['peer']} `{r['vector']}` ({r['mode']}): {r['outcome']}")
    swa = [r for r in blobs if r["peer"] == "simplewebauthn" and "fetched" in r]
    if swa:
        print("\nSimpleWebAuthn CRL fetches (served by the local stub, no network):\n")
        for r in swa:
            print(f"- {r['case']}: first call {r['crl_fetches_first_call']} "
                  f"{json.dumps(r['fetched'])}, timed calls {r['crl_fetches_timed']}")


if __name__ == "__main__":
    main()
