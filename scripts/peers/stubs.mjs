// A fixed clock and a network stub for running SimpleWebAuthn offline and at a chosen time.
// Shared by bench_simplewebauthn.mjs and differential/swa_verdicts.mjs; importing this module
// replaces globalThis.Date and globalThis.fetch.

// ---- the fixed clock -------------------------------------------------------------------------
/** The real Date class (before the fixed clock replaced it). */
export const RealDate = Date;
let fixedNow = RealDate.now();
class FixedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixedNow);
    else super(...args);
  }
  static now() {
    return fixedNow;
  }
}
globalThis.Date = FixedDate;

/** Sets the time every `new Date()` and `Date.now()` returns (RFC 3339). */
export const setNow = (iso) => {
  fixedNow = RealDate.parse(iso);
  if (Number.isNaN(fixedNow)) throw new Error(`bad time ${iso}`);
};

// ---- the network stub ------------------------------------------------------------------------
/** URL -> bytes that the stubbed fetch answers with; any other URL is a TypeError. */
export const served = new Map();
const fetches = new Map(); // URL -> count
globalThis.fetch = async (url) => {
  const key = String(url);
  fetches.set(key, (fetches.get(key) ?? 0) + 1);
  const body = served.get(key);
  if (body === undefined) throw new TypeError(`no network here: ${key}`);
  return new Response(body);
};

/** How many fetches were made so far. */
export const fetchCount = () => [...fetches.values()].reduce((a, b) => a + b, 0);

/** The fetches so far, URL -> count. */
export const fetchedUrls = () => Object.fromEntries(fetches);
