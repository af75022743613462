// The drop-in's own decisions, with a stand-in for mdsd (no daemon, no browser): the status
// refusal and NOT_FOUND handling of the mdsd-backed MetadataService, and the cross-check of
// SimpleWebAuthn's and mdsd's readings of one registration.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { MetadataService } = require('@simplewebauthn/server');
const { MdsdError, ClientError } = require('../../browser-demo/mdsd');
const { useMdsdMetadata, verifyRegistrationWithMdsd, MetadataRefused } = require('../mdsd-simplewebauthn');

const AAGUID = '876ca4f5-2071-c3e9-b255-09ef2cdf7ed6';
const notFound = () => new MdsdError(new ClientError(5, 'no metadata entry'));

function stubLookup(answer) {
  return { getAuthenticator: async () => { if (answer instanceof Error) throw answer; return answer; } };
}

const entry = (status) => ({
  authenticator: { currentStatus: status, entryJson: JSON.stringify({ metadataStatement: { aaguid: AAGUID, description: 'x' } }) },
});

test('getStatement hands over the statement of an entry with an acceptable status', async () => {
  const restore = useMdsdMetadata(stubLookup(entry('FIDO_CERTIFIED_L1')));
  try {
    assert.deepEqual(await MetadataService.getStatement(AAGUID), { aaguid: AAGUID, description: 'x' });
  } finally {
    restore();
  }
});

test('getStatement refuses an entry whose status mdsd reports as refused', async () => {
  for (const status of ['REVOKED', 'ATTESTATION_KEY_COMPROMISE', 'USER_VERIFICATION_BYPASS']) {
    const restore = useMdsdMetadata(stubLookup(entry(status)));
    try {
      await assert.rejects(MetadataService.getStatement(AAGUID), MetadataRefused, status);
    } finally {
      restore();
    }
  }
});

test('NOT_FOUND: undefined when permissive, an error when strict; other errors pass through', async () => {
  let restore = useMdsdMetadata(stubLookup(notFound()));
  try {
    assert.equal(await MetadataService.getStatement(AAGUID), undefined);
  } finally {
    restore();
  }
  restore = useMdsdMetadata(stubLookup(notFound()), { mode: 'strict' });
  try {
    await assert.rejects(MetadataService.getStatement(AAGUID), /No metadata statement found/);
  } finally {
    restore();
  }
  restore = useMdsdMetadata(stubLookup(new MdsdError(new ClientError(14, 'no metadata yet'))));
  try {
    await assert.rejects(MetadataService.getStatement(AAGUID), /UNAVAILABLE/);
  } finally {
    restore();
  }
});

test('a disagreement between SimpleWebAuthn and mdsd is an error', async () => {
  const vectors = path.join(__dirname, '..', '..', '..', '..', 'shared', 'testdata', 'attestations', 'vectors.json');
  const v = JSON.parse(fs.readFileSync(vectors)).find((x) => x.id === 'w3c-packed-es256');
  const options = {
    response: { id: 'w3c', rawId: 'w3c', type: 'public-key', clientExtensionResults: {},
      response: { attestationObject: v.attestationObject_b64url, clientDataJSON: v.clientDataJSON_b64url } },
    expectedChallenge: v.challenge_b64url, expectedOrigin: v.origin, expectedRPID: v.rpId,
    requireUserVerification: false,
  };
  const credentialId = Buffer.from('yab1s0YtAoc_6gxWhiI0-Z8IFygITlEbt3YCAaiQVKU', 'base64url').toString('base64');
  const answer = { credentialId, format: 'packed', aaguid: AAGUID, credentialKind: 'SYNCED', // the vector's BE flag is set
    statementValid: true, trusted: true, policy: null };
  const stub = (over) => ({ verifyRegistration: async () => ({ ...answer, ...over }) });
  const ok = await verifyRegistrationWithMdsd(stub({}), options);
  assert.equal(ok.verified, true);
  assert.equal(ok.allowed, true, 'no policy: allowed follows trusted');
  assert.equal((await verifyRegistrationWithMdsd(stub({ statementValid: false }), options)).verified, false);
  await assert.rejects(verifyRegistrationWithMdsd(stub({ credentialId: 'AAAA' }), options), /credential ID/);
  await assert.rejects(verifyRegistrationWithMdsd(stub({ format: 'tpm' }), options), /format/);
  await assert.rejects(verifyRegistrationWithMdsd(stub({ aaguid: '00000000-0000-0000-0000-000000000000' }), options), /AAGUID/);
  await assert.rejects(verifyRegistrationWithMdsd(stub({ credentialKind: 'DEVICE_BOUND' }), options), /device type/);
});
