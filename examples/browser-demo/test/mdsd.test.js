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
