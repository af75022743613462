#!/usr/bin/env node
// SimpleWebAuthn's side of the differential run (scripts/peers/differential/run.sh): one JSON
// verdict per case, the same shape as examples/differential.rs and fido2_verdicts.py.
//
//   node swa_verdicts.mjs judge --cases cases.json --blob B.jwt --blob-at T --crl URL=FILE ...
//   node swa_verdicts.mjs roots OUTDIR     # writes SimpleWebAuthn's built-in attestation roots
//
// Two calls of verifyRegistrationResponse per case, with the case's challenge, origin and RP ID,
// requireUserVerification: false, every COSE algorithm SimpleWebAuthn knows as supported (the
// RP's allow-list is an RP choice, not a verdict), at the case's valid_at:
//   1. "trust": MetadataService initialised from the BLOB (strict mode, the default), the
//      built-in roots (Apple, Google hardware attestation, GlobalSign for SafetyNet);
//   2. "statement": MetadataService disabled and every root list emptied; SimpleWebAuthn then
//      skips chain validation (validateCertificatePath returns true without anchors), so what
//      is left is the statement and the ceremony checks.
// statement_valid = call 2 verified. trusted = call 1 verified AND a chain was validated: not
// for `none`, packed without x5c (self), or fido-u2f (SimpleWebAuthn never looks a fido-u2f
// authenticator up in MDS and has no default fido-u2f roots: it validates no chain). by_metadata
// = trusted through MetadataService.getStatement(aaguid) (packed, tpm, android-key,
// android-safetynet; in strict mode these refuse an AAGUID without a statement).
//
// Tricks (the same as bench_simplewebauthn.mjs): the global Date is replaced so that "now" is
// the chosen time (SimpleWebAuthn reads the clock itself); globalThis.fetch is stubbed: the real
// GlobalSign CRLs are served under their URLs (--crl URL=FILE), every other URL fails, which
// SimpleWebAuthn treats as "skip this CRL" (fail open); the BLOB is served from a stub URL. And
// one more: after initialize, the BLOB's nextUpdate is pushed to the far future so that a case
// whose valid_at is after 2025-01-01 does not make getStatement re-download (and then refuse) the
// same BLOB: every case is judged against the same metadata.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { MetadataService, SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import { decodeAttestationObject, parseAuthenticatorData, isoBase64URL, convertAAGUIDToString } from '@simplewebauthn/server/helpers';
import { RealDate, setNow, served, fetchCount, fetchedUrls } from '../stubs.mjs';

const VERSION = JSON.parse(
  readFileSync(new URL('../node_modules/@simplewebauthn/server/package.json', import.meta.url)),
).version;
const DEFAULT_AT = '2024-06-01T00:00:00Z';
const BLOB_URL = 'https://mds.invalid/';
const FORMATS = ['packed', 'tpm', 'android-key', 'android-safetynet', 'fido-u2f', 'apple', 'none'];
const METADATA_FORMATS = new Set(['packed', 'tpm', 'android-key', 'android-safetynet']);
// Every COSE algorithm SimpleWebAuthn knows (helpers/cose.js COSEALG).
const ALL_ALGS = [-7, -8, -35, -36, -37, -38, -39, -47, -48, -49, -50, -257, -258, -259, -65535];

function parseArgs(argv) {
  const args = { cmd: argv[0], crl: [], rest: [] };
  for (let i = 1; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) {
      args.rest.push(argv[i]);
      continue;
    }
    const name = argv[i].slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const value = argv[++i];
    if (name === 'crl') args.crl.push(value);
    else args[name] = value;
  }
  return args;
}

const throwingLogger = {
  error: (...a) => {
    throw new Error(`MetadataService: ${a.map(String).join(' ')}`);
  },
};

/** SimpleWebAuthn's built-in attestation roots, one PEM file per certificate. */
function cmdRoots(dir) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  for (const fmt of FORMATS) {
    SettingsService.getRootCertificates({ identifier: fmt }).forEach((pem, i) => {
      const file = `${dir}/simplewebauthn-${fmt}-${i}.pem`;
      writeFileSync(file, pem.endsWith('\n') ? pem : `${pem}\n`);
      written.push(file);
    });
  }
  console.log(written.join('\n'));
}

/** What the authData says (for the report), or null when it does not parse. */
function authDataOf(aoB64) {
  try {
    const ao = decodeAttestationObject(isoBase64URL.toBuffer(aoB64));
    const ad = parseAuthenticatorData(ao.get('authData'));
    const stmt = ao.get('attStmt');
    return {
      fmt: ao.get('fmt'),
      hasX5c: stmt instanceof Map && stmt.has('x5c'),
      aaguid: ad.aaguid ? convertAAGUIDToString(ad.aaguid) : null,
      credentialID: ad.credentialID,
      flags: ad.flags,
      counter: ad.counter,
    };
  } catch (e) {
    return null;
  }
}

async function attempt(opts) {
  try {
    const r = await verifyRegistrationResponse(opts);
    return { verified: r.verified === true, info: r.registrationInfo, error: r.verified ? null : 'verified: false' };
  } catch (e) {
    // The first line of the message, and of each cause (SimpleWebAuthn wraps the real reason).
    const parts = [];
    for (let x = e, i = 0; x && i < 4; x = x.cause, i++) parts.push(String(x?.message ?? x).split('\n')[0]);
    return { verified: false, error: parts.join(' <- ') };
  }
}

async function cmdJudge(a) {
  setNow(a.blobAt);
  for (const spec of a.crl) {
    const eq = spec.indexOf('=');
    served.set(spec.slice(0, eq), readFileSync(spec.slice(eq + 1)));
  }
  served.set(BLOB_URL, Buffer.from(readFileSync(a.blob, 'utf8').trim()));
  await MetadataService.initialize({ mdsServers: [BLOB_URL], verificationMode: 'strict', logger: throwingLogger });
  MetadataService.mdsCache[BLOB_URL].nextUpdate = new RealDate(8.64e15); // see the header
  const defaultRoots = new Map(FORMATS.map((f) => [f, SettingsService.getRootCertificates({ identifier: f })]));

  const cases = JSON.parse(readFileSync(a.cases, 'utf8'));
  for (const c of cases) {
    setNow(c.valid_at ?? DEFAULT_AT);
    const ad = authDataOf(c.attestationObject_b64url);
    const credId = ad?.credentialID ? isoBase64URL.fromBuffer(ad.credentialID) : 'AA';
    const opts = {
      response: {
        id: credId,
        rawId: credId,
        type: 'public-key',
        response: { attestationObject: c.attestationObject_b64url, clientDataJSON: c.clientDataJSON_b64url },
        clientExtensionResults: {},
      },
      expectedChallenge: c.challenge_b64url,
      expectedOrigin: c.origin,
      expectedRPID: c.rpId,
      requireUserVerification: false,
      supportedAlgorithmIDs: ALL_ALGS,
    };
    const fetchesBefore = fetchCount();
    const trust = await attempt(opts);
    const crlFetches = fetchCount() - fetchesBefore;

    // Statement only: no metadata, no roots.
    MetadataService.state = 0; // SERVICE_STATE.DISABLED: getStatement() returns undefined
    for (const f of FORMATS) SettingsService.setRootCertificates({ identifier: f, certificates: [] });
    const statement = await attempt(opts);
    MetadataService.state = 2; // SERVICE_STATE.READY
    for (const [f, roots] of defaultRoots) SettingsService.setRootCertificates({ identifier: f, certificates: roots });

    const fmt = ad?.fmt ?? c.format;
    const chainChecked =
      fmt !== 'none' &&
      !(fmt === 'packed' && !ad?.hasX5c) &&
      !(fmt === 'fido-u2f' && (defaultRoots.get('fido-u2f') ?? []).length === 0);
    const trusted = trust.verified && chainChecked;
    let entry = null;
    if (trusted && METADATA_FORMATS.has(fmt) && ad?.aaguid) {
      try {
        const st = await MetadataService.getStatement(ad.aaguid);
        if (st) entry = { description: st.description ?? null, aaguid: st.aaguid ?? null, verified: true };
      } catch (e) {
        // strict mode: no statement (cannot happen after a verified call 1 for these formats)
      }
    }
    const flags = ad?.flags;
    console.log(
      JSON.stringify({
        tool: 'simplewebauthn',
        version: VERSION,
        id: c.id,
        format: c.format,
        statement_valid: statement.verified || trust.verified,
        trusted,
        by_metadata: entry !== null,
        entry,
        aaguid: ad?.aaguid ?? null,
        attestation_type: fmt === 'none' ? 'none' : fmt === 'packed' && ad && !ad.hasX5c ? 'self' : null,
        flags: flags ? { up: flags.up, uv: flags.uv, be: flags.be, bs: flags.bs, at: flags.at, ed: flags.ed } : null,
        sign_count: ad?.counter ?? null,
        reasons: [],
        detail: [trust.error && `trust call: ${trust.error}`, statement.error && `statement call: ${statement.error}`]
          .filter(Boolean)
          .join('; '),
        raw: {
          trust_call_verified: trust.verified,
          statement_call_verified: statement.verified,
          credential_device_type: trust.info?.credentialDeviceType ?? statement.info?.credentialDeviceType ?? null,
          user_verified: trust.info?.userVerified ?? statement.info?.userVerified ?? null,
          crl_fetches: crlFetches,
        },
      }),
    );
  }
  console.error(`CRL fetches by URL: ${JSON.stringify(fetchedUrls())}`);
}

const args = parseArgs(process.argv.slice(2));
if (args.cmd === 'judge') await cmdJudge(args);
else if (args.cmd === 'roots') cmdRoots(args.rest[0]);
else throw new Error('usage: swa_verdicts.mjs judge|roots ... (see the header)');
