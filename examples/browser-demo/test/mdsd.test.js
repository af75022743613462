// mdsd.js: answers in the one JSON shape of the client package, errors with their details.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');

test('answers are in the proto3 JSON mapping (int64 as strings, timestamps as RFC 3339, defaults printed)', { timeout: 60_000 }, async (t) => {
  const h = require('../harness');
  const fs = require('node:fs');
  const mds = await h.makeTestMds();
  const daemon = await h.startDaemon(mds);
  t.after(async () => {
    await daemon.stop();
    fs.rmSync(mds.dir, { recursive: true, force: true });
  });
  const info = await daemon.client.getMetadataInfo();
  assert.equal(info.loaded, true);
  assert.equal(typeof info.no, 'string');
  assert.match(info.verifiedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  // Fields without presence are printed at their default.
  assert.equal(info.stale, false);
  assert.equal(info.lastError, '');
});

test('a failed call carries the status name, the ErrorInfo reason and the decoded details', { timeout: 60_000 }, async (t) => {
  const h = require('../harness');
  const fs = require('node:fs');
  const { MdsdError } = require('../mdsd');
  const mds = await h.makeTestMds();
  const daemon = await h.startDaemon(mds);
  t.after(async () => {
    await daemon.stop();
    fs.rmSync(mds.dir, { recursive: true, force: true });
  });
  const err = await daemon.client.getAuthenticator({ aaguid: 'not-a-uuid' }).then(
    () => assert.fail('INVALID_ARGUMENT expected'), (e) => e);
  assert.ok(err instanceof MdsdError);
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.equal(err.reason, 'INVALID_ARGUMENT');
  const byType = Object.fromEntries(err.details.map((d) => [d['@type'].split('.').pop(), d]));
  assert.equal(byType.ErrorInfo.domain, 'mdsd.dev');
  assert.equal(byType.ErrorInfo.metadata.field, 'aaguid');
  assert.equal(byType.BadRequest.fieldViolations.length, 1);
  assert.equal(byType.BadRequest.fieldViolations[0].field, 'aaguid');
  assert.match(err.message, /^INVALID_ARGUMENT \[INVALID_ARGUMENT\]: aaguid: /);
  assert.deepEqual(Object.keys(err.toJSON()), ['code', 'reason', 'message', 'details']);

  const missing = await daemon.client.getAuthenticator({ aaguid: '00000000-0000-0000-0000-000000000001' })
    .then(() => assert.fail('NOT_FOUND expected'), (e) => e);
  assert.equal(missing.code, 'NOT_FOUND');
  assert.equal(missing.reason, 'NOT_FOUND');
});
