// SimpleWebAuthn + mdsd end to end: Debian's Chromium (CDP virtual authenticators) answers
// options made by generateRegistrationOptions; @simplewebauthn/server verifies the response;
// the real daemon judges trust, model and policy — and, through useMdsdMetadata(), serves the
// metadata statement SimpleWebAuthn checks x5c against.
//
//   npm ci --prefix examples/browser-demo && npm ci --prefix examples/simplewebauthn
//   cargo build --bin mdsd --example browser_test_mds && npm test --prefix examples/simplewebauthn
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { generateRegistrationOptions, verifyRegistrationResponse, MetadataService } = require('@simplewebauthn/server');
const h = require('../../browser-demo/harness');
const { useMdsdMetadata, verifyRegistrationWithMdsd } = require('../mdsd-simplewebauthn');

const VIRTUAL_AAGUID = '01020304-0506-0708-0102-030405060708';
const W3C_ROOT = path.join(h.ROOT, '..', 'shared', 'testdata', 'attestations', 'roots',
  'w3c_webauthn_test_vectors_attestation_ca.der');

const VECTORS = path.join(h.ROOT, '..', 'shared', 'testdata', 'attestations', 'vectors.json');

// Records the AAGUIDs looked up through mdsd.getAuthenticator.
function spyLookups(mdsd) {
  const asked = [];
  const lookup = mdsd.getAuthenticator.bind(mdsd);
  mdsd.getAuthenticator = (q) => { asked.push(q.aaguid); return lookup(q); };
  return asked;
}

const CTAP2_UV = { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'usb', hasResidentKey: true,
  hasUserVerification: true, isUserVerified: true };
const SYNCED = { ...CTAP2_UV, transport: 'internal', defaultBackupEligibility: true, defaultBackupState: true };

// A hung browser or daemon fails the suite instead of holding CI.
describe('SimpleWebAuthn verifies, mdsd judges', { timeout: 300_000 }, () => {
  let browser;
  let site;
  let origin;
  let virtualCertFile;
  const cleanup = [];

  before(async () => {
    browser = await h.launchChromium();
    cleanup.push(() => browser.close());
    // An empty page on localhost: a secure context for navigator.credentials.create.
    site = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>SimpleWebAuthn + mdsd</title>');
    });
    await new Promise((r) => site.listen(0, '127.0.0.1', r));
    origin = `http://localhost:${site.address().port}`;
    cleanup.push(() => new Promise((r) => { site.close(r); site.closeAllConnections(); }));
  });

  after(async () => {
    for (const f of cleanup.reverse()) await f().catch((e) => console.error(e));
  });

  async function daemon(entries = []) {
    const mds = await h.makeTestMds(entries);
    const d = await h.startDaemon(mds);
    cleanup.push(async () => {
      await d.stop();
      fs.rmSync(mds.dir, { recursive: true, force: true });
    });
    return d.client;
  }

  // One registration ceremony in Chromium with a fresh virtual authenticator; returns the
  // options (with their challenge) and the RegistrationResponseJSON.
  async function register(authenticator) {
    const options = await generateRegistrationOptions({
      rpName: 'mdsd + SimpleWebAuthn',
      rpID: 'localhost',
      userName: 'alice',
      attestationType: 'direct',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: [-7],
    });
    const page = await browser.context.newPage();
    const cdp = await browser.context.newCDPSession(page);
    try {
      await cdp.send('WebAuthn.enable', { enableUI: false });
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { automaticPresenceSimulation: true, ...authenticator },
      });
      await page.goto(`${origin}/`);
      const response = await page.evaluate(async (json) => {
        const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json);
        const credential = await navigator.credentials.create({ publicKey });
        return credential.toJSON();
      }, options);
      return { options, response };
    } finally {
      await cdp.detach().catch(() => {});
      await page.close();
    }
  }

  const expected = (options, response) => ({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: 'localhost',
    requireUserVerification: true,
  });

  test('without metadata SimpleWebAuthn verifies any attestation; mdsd says it is not trusted', async () => {
    const mdsd = await daemon();
    const { options, response } = await register(CTAP2_UV);
    const admin = await verifyRegistrationWithMdsd(mdsd, expected(options, response), { userGroups: ['admins'] });
    // SimpleWebAuthn has no root certificate for "packed" and skips the path validation.
    assert.equal(admin.verified, true);
    assert.equal(admin.registrationInfo.fmt, 'packed');
    assert.equal(admin.trusted, false);
    assert.deepEqual(admin.mdsd.reasons.map((r) => r.code), ['METADATA_NOT_FOUND']);
    assert.equal(admin.mdsd.credentialKind, 'DEVICE_BOUND');
    assert.equal(admin.registrationInfo.credentialDeviceType, 'singleDevice');
    assert.equal(admin.allowed, false, 'admins need a metadata-attested device-bound passkey');
    const cert = new crypto.X509Certificate(await firstX5c(response));
    virtualCertFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mdsd-swa-')), 'virtual.pem');
    fs.writeFileSync(virtualCertFile, cert.toString());
    cleanup.push(async () => fs.rmSync(path.dirname(virtualCertFile), { recursive: true, force: true }));

    const synced = await register(SYNCED);
    const staff = await verifyRegistrationWithMdsd(mdsd, expected(synced.options, synced.response), { userGroups: ['staff'] });
    assert.equal(staff.verified, true);
    assert.equal(staff.mdsd.credentialKind, 'SYNCED');
    assert.equal(staff.registrationInfo.credentialDeviceType, 'multiDevice');
    assert.equal(staff.allowed, true, 'staff may use synced passkeys');
    assert.equal(staff.mdsd.policy.profile, 'workforce');
  });

  test('MetadataService backed by mdsd: SimpleWebAuthn checks x5c against the statement mdsd serves', async () => {
    // The W3C packed ES256 test vector: x5c chains to the W3C test CA, the root of the W3C
    // entry in the test BLOB (examples/browser_test_mds.rs).
    const v = JSON.parse(fs.readFileSync(VECTORS)).find((x) => x.id === 'w3c-packed-es256');
    const mdsd = await daemon();
    const asked = spyLookups(mdsd);
    const restore = useMdsdMetadata(mdsd, { mode: 'strict' });
    try {
      const r = await verifyRegistrationWithMdsd(mdsd, {
        response: { id: 'w3c', rawId: 'w3c', type: 'public-key', clientExtensionResults: {},
          response: { attestationObject: v.attestationObject_b64url, clientDataJSON: v.clientDataJSON_b64url } },
        expectedChallenge: v.challenge_b64url,
        expectedOrigin: v.origin,
        expectedRPID: v.rpId,
        requireUserVerification: false,
      });
      assert.deepEqual(asked, [v.aaguid], 'SimpleWebAuthn asked mdsd for the statement');
      assert.equal(r.verified, true);
      assert.equal(r.trusted, true);
      assert.equal(r.mdsd.attestationTrust, 'metadata');
      assert.equal(r.mdsd.authenticator.description, 'W3C test authenticator');
    } finally {
      restore();
    }
  });

  test('Chromium\'s self-signed virtual attestation: mdsd trusts the entry rooted at it, SimpleWebAuthn cannot chain it', async () => {
    assert.ok(virtualCertFile, 'the first test captured the virtual attestation certificate');
    const mdsd = await daemon([{ aaguid: VIRTUAL_AAGUID, certFile: virtualCertFile }]);
    const { options, response } = await register(CTAP2_UV);
    const args = expected(options, response);
    // mdsd: the attestation key is the anchor's key, the entry is selected by the signed AAGUID.
    const r = await verifyRegistrationWithMdsd(mdsd, args, { userGroups: ['admins'] });
    assert.equal(r.trusted, true);
    assert.equal(r.mdsd.attestationTrust, 'metadata');
    assert.equal(r.mdsd.authenticator.description, `Test entry ${VIRTUAL_AAGUID}`);
    assert.equal(r.allowed, true);
    assert.equal(r.mdsd.policy.profile, 'privileged');
    // SimpleWebAuthn with mdsd's statement: Chromium re-issues its self-signed certificate for
    // every registration, and SimpleWebAuthn's chain builder cannot take a self-signed leaf to
    // another certificate (same subject, same key) as its anchor.
    const asked = spyLookups(mdsd);
    const restore = useMdsdMetadata(mdsd, { mode: 'strict' });
    try {
      await assert.rejects(verifyRegistrationResponse(args), /could not be chained to any specified trust anchor/);
      assert.deepEqual(asked, [VIRTUAL_AAGUID]);
    } finally {
      restore();
    }
  });

  test('a statement whose root does not match x5c makes verifyRegistrationResponse fail', async () => {
    // mdsd's entry for the virtual AAGUID is anchored at the W3C test CA, not at Chromium's cert.
    const mdsd = await daemon([{ aaguid: VIRTUAL_AAGUID, certFile: W3C_ROOT }]);
    const { options, response } = await register(CTAP2_UV);
    const args = expected(options, response);
    // Without the mdsd-backed MetadataService SimpleWebAuthn verifies it...
    assert.equal((await verifyRegistrationResponse(args)).verified, true);
    // ...and mdsd does not trust it.
    const answer = await verifyRegistrationWithMdsd(mdsd, args);
    assert.equal(answer.trusted, false);
    assert.deepEqual(answer.mdsd.reasons.map((r) => r.code), ['UNTRUSTED_CHAIN']);
    // With it, SimpleWebAuthn itself refuses: it validated x5c against mdsd's statement.
    const restore = useMdsdMetadata(mdsd);
    try {
      await assert.rejects(verifyRegistrationResponse(args), /Packed\|Full/);
    } finally {
      restore();
    }
    assert.equal(Object.prototype.hasOwnProperty.call(MetadataService, 'getStatement'), false, 'restored');
  });

  test('strict mode: an AAGUID mdsd has no entry for is refused by SimpleWebAuthn', async () => {
    const mdsd = await daemon();
    const { options, response } = await register(CTAP2_UV);
    const restore = useMdsdMetadata(mdsd, { mode: 'strict' });
    try {
      await assert.rejects(verifyRegistrationResponse(expected(options, response)),
        new RegExp(`No metadata statement found for aaguid "${VIRTUAL_AAGUID}"`));
    } finally {
      restore();
    }
  });
});

// x5c[0] of a packed registration response (DER), read with SimpleWebAuthn's own decoder.
async function firstX5c(response) {
  const { decodeAttestationObject, isoBase64URL } = require('@simplewebauthn/server/helpers');
  const decoded = decodeAttestationObject(isoBase64URL.toBuffer(response.response.attestationObject));
  return Buffer.from(decoded.get('attStmt').get('x5c')[0]);
}
