// mdsd.js's conversion of google.protobuf.Timestamp to its proto3 JSON form.
'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { timestampsToRfc3339 } = require('../mdsd');

test('timestamps become RFC 3339 text with 0, 3, 6 or 9 fractional digits', () => {
  const ts = (seconds, nanos) => ({ seconds: String(seconds), nanos });
  assert.equal(timestampsToRfc3339(ts(1796323655, 0)), '2026-12-03T18:47:35Z');
  assert.equal(timestampsToRfc3339(ts(1796323655, 5e8)), '2026-12-03T18:47:35.500Z');
  assert.equal(timestampsToRfc3339(ts(1796323655, 745000)), '2026-12-03T18:47:35.000745Z');
  assert.equal(timestampsToRfc3339(ts(1796323655, 745732025)), '2026-12-03T18:47:35.745732025Z');
  assert.equal(timestampsToRfc3339(ts(0, 1)), '1970-01-01T00:00:00.000000001Z');
});

test('nested messages and lists are converted, everything else is left alone', () => {
  const answer = {
    loaded: true,
    no: '7',
    fetchedAt: { seconds: '0', nanos: 0 },
    policy: { loadedAt: { seconds: '86400', nanos: 0 }, profiles: ['a'] },
    quarantined: [{ at: { seconds: '60', nanos: 0 } }],
    lastReloadAt: null,
    anchor: { sha256: 'ab', label: 'x' },
  };
  assert.deepEqual(timestampsToRfc3339(answer), {
    loaded: true,
    no: '7',
    fetchedAt: '1970-01-01T00:00:00Z',
    policy: { loadedAt: '1970-01-02T00:00:00Z', profiles: ['a'] },
    quarantined: [{ at: '1970-01-01T00:01:00Z' }],
    lastReloadAt: null,
    anchor: { sha256: 'ab', label: 'x' },
  });
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
  assert.match(err.message, /^mdsd INVALID_ARGUMENT INVALID_ARGUMENT: aaguid: /);
  assert.deepEqual(Object.keys(err.toJSON()), ['code', 'reason', 'message', 'details']);

  const missing = await daemon.client.getAuthenticator({ aaguid: '00000000-0000-0000-0000-000000000001' })
    .then(() => assert.fail('NOT_FOUND expected'), (e) => e);
  assert.equal(missing.code, 'NOT_FOUND');
  assert.equal(missing.reason, 'NOT_FOUND');
});
