// The Node client against the real daemon: answers in the proto3 JSON shape, errors with their
// reason codes and google.rpc details, TCP, unix: and mTLS.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { Client, MdsdError, toJson, Verdict, CredentialKind } = require('..');
const { makeTestbed, startDaemon, MDSD } = require('./daemon');

const b64url = (s) => Buffer.from(s, 'base64url');
let testbed;
let daemon;

before(async () => {
  testbed = makeTestbed();
  daemon = await startDaemon(testbed, 'tcp', 'config.toml');
});
after(() => daemon && daemon.stop());

function registration(v, overrides = {}) {
  return [b64url(v.attestationObject_b64url), b64url(v.clientDataJSON_b64url), {
    rpId: v.rpId, origins: [v.origin], challenge: b64url(v.challenge_b64url), ...overrides,
  }];
}

test('VerifyRegistration: ACCEPTED, in the proto3 JSON shape', async () => {
  const c = new Client(daemon.target);
  try {
    const answer = await c.verifyRegistration(...registration(testbed.vectors.packed,
      { userGroups: ['staff'] }));
    assert.equal(answer.verdict, Verdict.ACCEPTED);
    assert.equal(answer.credentialKind, CredentialKind.SYNCED);
    const j = toJson(answer);
    assert.equal(j.verdict, 'ACCEPTED');
    assert.equal(j.credentialKind, 'SYNCED');
    assert.equal(j.metadataNo, testbed.facts.blob_no);
    assert.equal(j.aaguid, testbed.facts.w3c_aaguid);
    assert.equal(j.credentialAlg, '-7');
    assert.equal(j.metadataStale, false);
    assert.deepEqual(j.reasons, []);
    assert.equal(j.policy.allowed, true);
    assert.equal(j.provenance.aaguid, testbed.facts.w3c_aaguid);
    assert.deepEqual(Buffer.from(j.credentialId, 'base64'), Buffer.from(answer.credentialId));
  } finally {
    c.close();
  }
});

test('the CLI, the Node client and the Python-shaped JSON agree', async () => {
  const v = testbed.vectors.packed;
  const c = new Client(daemon.target);
  const served = toJson(await c.verifyRegistration(...registration(v)));
  c.close();
  const printed = JSON.parse(execFileSync(MDSD, ['attestation', 'verify', '--json',
    '--attestation-object', v.attestationObject_b64url,
    '--client-data-json', v.clientDataJSON_b64url, '--rp-id', v.rpId, '--origin', v.origin,
    '--challenge', v.challenge_b64url,
    '--blob', path.join(testbed.dir, 'blob.jwt'),
    '--blob-root', path.join(testbed.dir, 'mds-root.pem'),
    '--blob-crl', path.join(testbed.dir, 'mds-root.crl'),
    '--blob-crl', path.join(testbed.dir, 'mds-ca.crl')], { encoding: 'utf8' }));
  delete served.policy;
  assert.deepEqual(printed, served);
});

test('REJECTED is an answer with reason codes', async () => {
  const c = new Client(daemon.target);
  const j = toJson(await c.verifyRegistration(...registration(testbed.vectors.packed,
    { challenge: Buffer.from([0, 0, 0]) })));
  c.close();
  assert.equal(j.verdict, 'REJECTED');
  assert.ok(j.reasons.some((r) => r.code === 'CEREMONY_MISMATCH'), JSON.stringify(j.reasons));
});

test('INVALID_ARGUMENT carries the reason and BadRequest', async () => {
  const c = new Client(daemon.target);
  const err = await c.verifyRegistration(new Uint8Array(), Buffer.from('{}')).then(
    () => assert.fail('no error'), (e) => e);
  c.close();
  assert.ok(err instanceof MdsdError);
  assert.equal(err.codeName, 'INVALID_ARGUMENT');
  assert.equal(err.code, 3);
  assert.equal(err.reason, 'INVALID_ARGUMENT');
  assert.equal(err.domain, 'mdsd.dev');
  assert.equal(err.metadata.field, 'attestation_object');
  assert.deepEqual(err.fieldViolations.map((f) => f.field), ['attestation_object']);
  const j = err.toJSON();
  assert.equal(j.code, 3);
  const types = j.details.map((d) => d['@type']);
  assert.ok(types.includes('type.googleapis.com/google.rpc.ErrorInfo'), types.join());
  assert.ok(types.includes('type.googleapis.com/google.rpc.BadRequest'), types.join());
  assert.match(err.message, /^INVALID_ARGUMENT \[INVALID_ARGUMENT\]: attestation_object/);
});

test('lookups, NOT_FOUND, metadata info, credentials, policy', async () => {
  const c = new Client(daemon.target);
  try {
    const found = toJson(await c.getAuthenticator({ aaguid: testbed.facts.revoked_aaguid }));
    assert.equal(found.authenticator.currentStatus, 'REVOKED');
    const listed = await c.listAuthenticators({ statuses: ['REVOKED'] });
    assert.deepEqual(listed.authenticators.map((a) => a.aaguid), [testbed.facts.revoked_aaguid]);
    const missing = await c.getAuthenticator({ aaguid: '00000000-0000-4000-8000-00000000beef' })
      .then(() => null, (e) => e);
    assert.equal(missing.codeName, 'NOT_FOUND');
    assert.equal(missing.reason, 'NOT_FOUND');
    assert.throws(() => c.getAuthenticator({}), TypeError);
    const info = toJson(await c.getMetadataInfo());
    assert.equal(info.no, testbed.facts.blob_no);
    assert.match(info.verifiedAt, /Z$/);
    const checked = toJson(await c.checkCredentials([
      { aaguid: testbed.facts.w3c_aaguid, credentialId: 'AQID' },
      { aaguid: testbed.facts.revoked_aaguid },
    ]));
    assert.equal(checked.results[0].trusted, true);
    assert.equal(checked.results[0].credentialId, 'AQID');
    assert.ok(checked.results[1].reasons.some((r) => r.code === 'REVOKED'));
    const decision = await c.evaluateAuthentication({ aaguid: testbed.facts.w3c_aaguid,
      flags: 0x01 | 0x08, registrationTrust: 'metadata', userGroups: ['admins'] });
    assert.equal(decision.policy.allowed, false);
  } finally {
    c.close();
  }
});

test('unix: socket', async () => {
  const d = await startDaemon(testbed, 'unix', 'config.toml', { unix: true });
  const c = new Client(d.target);
  try {
    const j = toJson(await c.verifyRegistration(...registration(testbed.vectors.none)));
    assert.equal(j.format, 'none');
    assert.equal(j.statementValid, true);
    assert.equal(j.verdict, 'REJECTED');
  } finally {
    c.close();
    d.stop();
  }
});

test('mTLS: a client certificate gets through, none does not', async () => {
  const tlsDir = path.join(testbed.dir, 'tls');
  const tls = { caFile: path.join(tlsDir, 'server-ca.pem'), certFile: path.join(tlsDir, 'client.pem'),
    keyFile: path.join(tlsDir, 'client.key'), serverName: 'localhost' };
  const d = await startDaemon(testbed, 'mtls', 'config-mtls.toml', { tls });
  try {
    const c = new Client(d.target, { tls });
    assert.equal((await c.getMetadataInfo()).loaded, true);
    c.close();
    const anonymous = new Client(d.target,
      { tls: { caFile: tls.caFile, serverName: 'localhost' }, timeout: 3 });
    const err = await anonymous.getMetadataInfo().then(() => null, (e) => e);
    anonymous.close();
    assert.equal(err.codeName, 'UNAVAILABLE');
  } finally {
    d.stop();
  }
});

test('WatchStatusChanges: stream errors are MdsdErrors', async () => {
  const c = new Client(daemon.target);
  try {
    const replay = async () => {
      // eslint-disable-next-line no-unused-vars
      for await (const _ of c.watchStatusChanges({ sinceNo: 1, timeout: 5 }));
    };
    const err = await replay().then(() => null, (e) => e);
    assert.ok(err instanceof MdsdError, String(err));
    assert.equal(err.codeName, 'FAILED_PRECONDITION');
    assert.equal(err.reason, 'DIFF_NOT_RETAINED');
    assert.equal(err.metadata.since_no, '1');
    // sinceSequence reaches the daemon: with sinceNo too it is refused by name.
    const both = async () => {
      // eslint-disable-next-line no-unused-vars
      for await (const _ of c.watchStatusChanges({ sinceNo: 1, sinceSequence: 0, timeout: 5 }));
    };
    const refused = await both().then(() => null, (e) => e);
    assert.equal(refused.codeName, 'INVALID_ARGUMENT');
    assert.equal(refused.fieldViolations[0].field, 'since_sequence');
    const live = async () => {
      // eslint-disable-next-line no-unused-vars
      for await (const _ of c.watchStatusChanges({ timeout: 0.5 }));
    };
    const late = await live().then(() => null, (e) => e);
    assert.equal(late.codeName, 'DEADLINE_EXCEEDED');
  } finally {
    c.close();
  }
});
