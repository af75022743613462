#!/usr/bin/env node
// Times SimpleWebAuthn (@simplewebauthn/server) in process, warm, on the inputs of mdsd's
// benchmarks (scripts/peers/run.sh).
//
//   node bench_simplewebauthn.mjs blob --label real --blob B.jwt --at 2024-09-03T12:00:00Z \
//        [--root ROOT.der] [--crl URL=FILE ...] [--n 15] [--warmup 2]
//   node bench_simplewebauthn.mjs att --vectors vectors.json --blob B.jwt --blob-at T \
//        --crl URL=FILE ... --id ID [--id ID ...]
//
// Prints one JSON object per line (peer, case, timings, peak RSS from /proc/self/status VmHWM).
//
// Verification time: SimpleWebAuthn reads the clock itself (`new Date()`, `Date.now()` in
// validateCertificatePath, the packed verifier, the CRL cache and @peculiar/x509) and has no
// option to set it, so this script replaces the global `Date` with one whose "now" is fixed
// (explicit dates still work). Timings use process.hrtime, which that does not touch.
//
// CRLs: SimpleWebAuthn downloads the CRL of every chain certificate from its
// CRLDistributionPoints URL through `globalThis.fetch` (helpers/fetch.js calls it at run time).
// There is no network here, so `globalThis.fetch` is replaced by a stub that serves the local
// CRL files given with --crl URL=FILE, and fails every other URL with a TypeError, which
// SimpleWebAuthn treats as "could not fetch: skip this CRL" (fail open). Every fetch is counted
// and reported. SimpleWebAuthn caches a fetched CRL's serials in a module-level map until the
// CRL's nextUpdate, so warm iterations neither fetch nor parse nor verify the CRLs again.
import { readFileSync } from 'node:fs';
import { BaseMetadataService, MetadataService, SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import { decodeAttestationObject, parseAuthenticatorData, verifyMDSBlob, isoBase64URL } from '@simplewebauthn/server/helpers';
import { setNow, served, fetchCount, fetchedUrls } from './stubs.mjs';

const VERSION = JSON.parse(
  readFileSync(new URL('./node_modules/@simplewebauthn/server/package.json', import.meta.url)),
).version;

// ---- helpers ---------------------------------------------------------------------------------
function parseArgs(argv) {
  const args = { cmd: argv[0], crl: [], id: [], n: 15, warmup: 2 };
  for (let i = 1; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const name = flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (name === 'crl' || name === 'id') args[name].push(value);
    else if (name === 'n' || name === 'warmup') args[name] = Number(value);
    else args[name] = value;
  }
  return args;
}

/** A field of /proc/self/status in kB (VmHWM: peak resident set size, VmRSS: current). */
function statusKb(field) {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : null;
}
const peakRssKb = () => statusKb('VmHWM');
// Resident size once Node and SimpleWebAuthn are loaded, before any input is read.
const BASELINE_RSS_KB = statusKb('VmRSS');

function emit(obj) {
  console.log(JSON.stringify({ peer: 'simplewebauthn', version: VERSION, ...obj }));
}

const nowNs = () => process.hrtime.bigint();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** CPU time of the whole process (all threads, user + system) in ns. */
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
};

/** Runs f warmup times untimed, then n times one by one; returns the wall times in ns and
 * the mean process CPU time per call in ns. */
async function timeEach(n, warmup, f) {
  for (let i = 0; i < warmup; i++) await f();
  const times = [];
  const c0 = cpuNs();
  for (let i = 0; i < n; i++) {
    const t0 = nowNs();
    await f();
    times.push(Number(nowNs() - t0));
  }
  times.cpu = (cpuNs() - c0) / n;
  return times;
}

/** Same scheme as bench_fido2.py and examples/peer_inputs.rs: warm up >= 0.3 s (>= 10 calls),
 * batches sized to ~50 ms, median per-call time (ns) over 15 batches. */
async function perCall(f, batches = 15, batchSecs = 0.05, warmSecs = 0.3) {
  let calls = 0;
  let t0 = nowNs();
  while (calls < 10 || Number(nowNs() - t0) < warmSecs * 1e9) {
    await f();
    calls++;
  }
  const mean = Number(nowNs() - t0) / calls;
  const size = Math.max(1, Math.round((batchSecs * 1e9) / mean));
  const per = [];
  const c0 = cpuNs();
  for (let b = 0; b < batches; b++) {
    t0 = nowNs();
    for (let i = 0; i < size; i++) await f();
    per.push(Number(nowNs() - t0) / size);
  }
  return { med: median(per), size, cpu: (cpuNs() - c0) / (batches * size) };
}

function serveCrls(specs) {
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    served.set(spec.slice(0, eq), readFileSync(spec.slice(eq + 1)));
  }
}

const throwingLogger = {
  error: (...a) => {
    throw new Error(`MetadataService: ${a.map(String).join(' ')}`);
  },
};

// ---- BLOB ------------------------------------------------------------------------------------
async function cmdBlob(a) {
  setNow(a.at);
  serveCrls(a.crl);
  if (a.root) {
    SettingsService.setRootCertificates({ identifier: 'mds', certificates: [new Uint8Array(readFileSync(a.root))] });
  } // else: SimpleWebAuthn's built-in MDS roots (GlobalSign Root CA - R3 and Root R46).
  const blob = readFileSync(a.blob, 'utf8').trim();

  // verifyMDSBlob (exported from '@simplewebauthn/server/helpers'): chain x5c -> root with
  // validity dates and CRLs, the JWS signature, JSON.parse of the payload, the statements list.
  const first0 = nowNs();
  const r = await verifyMDSBlob(blob);
  const firstMs = Number(nowNs() - first0) / 1e6;
  const entries = r.payload.entries.length;
  const firstRss = peakRssKb();
  const fetchesFirst = fetchCount();
  const times = await timeEach(a.n, a.warmup, () => verifyMDSBlob(blob));
  emit({
    case: `blob:${a.label}`,
    fn: 'verifyMDSBlob',
    bytes: Buffer.byteLength(blob),
    entries,
    n: a.n,
    warmup: a.warmup,
    median_ms: median(times) / 1e6,
    min_ms: Math.min(...times) / 1e6,
    max_ms: Math.max(...times) / 1e6,
    cpu_ms: times.cpu / 1e6,
    first_call_ms: firstMs,
    crl_fetches_first_call: fetchesFirst,
    crl_fetches_timed: fetchCount() - fetchesFirst,
    fetched: fetchedUrls(),
    peak_rss_kb: peakRssKb(),
    peak_rss_first_kb: firstRss,
    baseline_rss_kb: BASELINE_RSS_KB,
  });

  // The public path: a fresh MetadataService initialised from a (stubbed) MDS URL: the same
  // verification plus the download's .text(), the `no` check and the AAGUID statement cache.
  const url = 'https://mds.invalid/';
  served.set(url, Buffer.from(blob));
  const init = async () => {
    const svc = new BaseMetadataService();
    await svc.initialize({ mdsServers: [url], verificationMode: 'strict', logger: throwingLogger });
    return svc;
  };
  const svc = await init();
  const cached = Object.keys(svc.statementCache).length;
  const times2 = await timeEach(a.n, a.warmup, init);
  emit({
    case: `blob:${a.label}`,
    fn: 'MetadataService.initialize',
    statements_cached: cached,
    n: a.n,
    median_ms: median(times2) / 1e6,
    min_ms: Math.min(...times2) / 1e6,
    max_ms: Math.max(...times2) / 1e6,
    cpu_ms: times2.cpu / 1e6,
    peak_rss_kb: peakRssKb(),
  });
}

// ---- attestation -----------------------------------------------------------------------------
async function cmdAtt(a) {
  // The metadata: the shared MetadataService, initialised from the BLOB at a time inside its
  // chain's and CRLs' validity. The packed verifier consults it (statement, roots, status).
  setNow(a.blobAt);
  serveCrls(a.crl);
  served.set('https://mds.invalid/', Buffer.from(readFileSync(a.blob, 'utf8').trim()));
  await MetadataService.initialize({ mdsServers: ['https://mds.invalid/'], verificationMode: 'strict', logger: throwingLogger });

  const vectors = new Map(JSON.parse(readFileSync(a.vectors, 'utf8')).map((v) => [v.id, v]));
  for (const id of a.id) {
    const v = vectors.get(id);
    setNow(v.valid_at ?? '2024-06-01T00:00:00Z');
    // The credential ID for `id`/`rawId`, read once from authData (not part of the timing).
    const decoded = decodeAttestationObject(isoBase64URL.toBuffer(v.attestationObject_b64url));
    const credId = isoBase64URL.fromBuffer(parseAuthenticatorData(decoded.get('authData')).credentialID);
    const response = {
      id: credId,
      rawId: credId,
      type: 'public-key',
      response: { attestationObject: v.attestationObject_b64url, clientDataJSON: v.clientDataJSON_b64url },
      clientExtensionResults: {},
    };
    const opts = {
      response,
      expectedChallenge: v.challenge_b64url,
      expectedOrigin: v.origin,
      expectedRPID: v.rpId,
      requireUserVerification: false,
    };
    const before = fetchCount();
    const r = await verifyRegistrationResponse(opts);
    if (!r.verified) throw new Error(`${id}: not verified`);
    const { med, size, cpu } = await perCall(() => verifyRegistrationResponse(opts));
    emit({
      case: `att:${v.format}`,
      vector: id,
      mode: 'verifyRegistrationResponse (bytes in, base64url strings)',
      outcome: `verified fmt=${r.registrationInfo.fmt}`,
      median_us: med / 1e3,
      per_sec: 1e9 / med,
      cpu_us: cpu / 1e3,
      batch: size,
      batches: 15,
      fetches: fetchCount() - before,
    });
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.cmd === 'blob') await cmdBlob(args);
else if (args.cmd === 'att') await cmdAtt(args);
else throw new Error('usage: bench_simplewebauthn.mjs blob|att ...');
