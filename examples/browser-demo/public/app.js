// The browser half of the demo: asks the server for creation options, runs
// navigator.credentials.create with attestation "direct", posts the result back and shows
// mdsd's answer. window.mdsdDemo.lastResult holds the last answer (the browser test reads it).
'use strict';

const fromB64url = (s) => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
};
const toB64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

async function postJson(path, body) {
  const res = await fetch(path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error || `HTTP ${res.status}`);
  return json;
}

const show = (id, value) => { document.getElementById(id).textContent = value; };

async function register(event) {
  event.preventDefault();
  const status = document.getElementById('status');
  window.mdsdDemo.lastResult = null;
  window.mdsdDemo.lastError = null;
  try {
    status.textContent = 'Creating a passkey…';
    const groups = document.getElementById('groups').value;
    const options = await postJson('/api/register/options', {
      userName: document.getElementById('user').value,
      groups: groups ? [groups] : [],
      userVerification: document.getElementById('uv').value,
    });
    const pk = options.publicKey;
    const credential = await navigator.credentials.create({
      publicKey: {
        ...pk,
        challenge: fromB64url(pk.challenge),
        user: { ...pk.user, id: fromB64url(pk.user.id) },
      },
    });
    status.textContent = 'Asking mdsd…';
    const result = await postJson('/api/register/verify', {
      ceremonyId: options.ceremonyId,
      credential: {
        id: credential.id,
        type: credential.type,
        response: {
          attestationObject: toB64url(credential.response.attestationObject),
          clientDataJSON: toB64url(credential.response.clientDataJSON),
        },
      },
    });
    const s = result.summary;
    show('verdict', s.verdict);
    document.getElementById('verdict').className = s.verdict;
    show('statementValid', String(s.statementValid));
    show('format', `${s.format} / ${s.attestationType || '—'}`);
    show('trust', s.attestationTrust);
    show('authenticator', s.authenticator ?? 'not in the metadata');
    show('aaguid', s.aaguid);
    show('credentialKind', s.credentialKind);
    show('userVerified', String(s.userVerified));
    show('reasons', s.reasons.join(', ') || '—');
    show('policy', s.policy
      ? (s.policy.allowed ? `allowed (profile ${s.policy.profile})` : `refused: ${s.policy.failures.join(', ')}`)
      : 'no policy configured');
    show('result', JSON.stringify(result.mdsd, null, 2));
    document.getElementById('outcome').hidden = false;
    status.textContent = 'Done.';
    window.mdsdDemo.lastResult = result;
  } catch (err) {
    status.textContent = `Failed: ${err.message}`;
    window.mdsdDemo.lastError = String(err.message);
  }
}

window.mdsdDemo = { lastResult: null, lastError: null };
document.getElementById('register').addEventListener('submit', register);
