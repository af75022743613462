#!/usr/bin/env node
// A small demo relying party: its page registers a passkey with attestation "direct"; this
// server checks the registration with mdsd (mdsd.js) and shows mdsd's verdict, the
// authenticator, the credential kind and the passkey-policy decision.
//
//   npm install --prefix examples/browser-demo
//   node examples/browser-demo/server.js --mdsd 127.0.0.1:50051 --port 8080
//   # then open http://localhost:8080/ (WebAuthn needs a secure context: localhost or HTTPS)
//
// The relying party ID is the host name the page is served under (`--rp-id`, default
// "localhost"); the expected origin is http://<rp-id>:<port> unless `--origin` says otherwise.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { decodeCBOR } = require('@levischuck/tiny-cbor');
const { Mdsd, MdsdError } = require('./mdsd');

const USAGE = `usage: node server.js [--mdsd HOST:PORT|unix:PATH] [--port N] [--rp-id HOST] [--origin URL]

  --mdsd    the mdsd gRPC address (default 127.0.0.1:50051, or $MDSD_TARGET)
  --port    the port to serve the demo on (default 8080; 0 picks a free one)
  --rp-id   the WebAuthn relying party ID (default localhost)
  --origin  the origin the browser reports (default http://<rp-id>:<port>)`;

const CEREMONY_TTL_MS = 5 * 60 * 1000;
const MAX_BODY_BYTES = 256 * 1024;
const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
};

const b64url = (buf) => Buffer.from(buf).toString('base64url');

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// What the attestation statement itself carries (for display, and so a test can see the
// certificate the authenticator sent); the verification is mdsd's.
function statementSummary(attestationObject) {
  try {
    const decoded = decodeCBOR(new Uint8Array(attestationObject));
    const attStmt = decoded.get('attStmt');
    const x5c = attStmt instanceof Map ? attStmt.get('x5c') : undefined;
    return {
      fmt: decoded.get('fmt'),
      alg: attStmt instanceof Map ? attStmt.get('alg') ?? null : null,
      x5c: Array.isArray(x5c) ? x5c.map((c) => Buffer.from(c).toString('base64')) : [],
    };
  } catch (err) {
    return { error: `attestationObject is not CBOR: ${err.message}` };
  }
}

// The headline of mdsd's answer, as the page shows it.
function summarize(v) {
  return {
    verdict: v.verdict,
    trusted: v.trusted,
    statementValid: v.statementValid,
    format: v.format,
    attestationType: v.attestationType,
    attestationTrust: v.attestationTrust,
    aaguid: v.aaguid,
    authenticator: v.authenticator ? v.authenticator.description : null,
    credentialKind: v.credentialKind,
    userVerified: v.flags ? v.flags.userVerified : null,
    reasons: (v.reasons ?? []).map((r) => r.code),
    policy: v.policy
      ? { allowed: v.policy.allowed, profile: v.policy.profile,
        failures: [...(v.policy.failures ?? []), ...(v.policy.outcomes ?? []).flatMap((o) => o.failures)]
          .map((r) => r.code) }
      : null,
  };
}

// `settings.origin` is read per request (start() fills it in once the port is known).
function createApp(mdsd, settings) {
  const { rpId } = settings;
  const ceremonies = new Map();

  function newCeremony({ userName, groups, userVerification }) {
    for (const [id, c] of ceremonies) {
      if (c.expires < Date.now()) ceremonies.delete(id);
    }
    const id = b64url(crypto.randomBytes(16));
    const challenge = crypto.randomBytes(32);
    ceremonies.set(id, { challenge, groups, userVerification, expires: Date.now() + CEREMONY_TTL_MS });
    return {
      ceremonyId: id,
      publicKey: {
        rp: { id: rpId, name: 'mdsd demo' },
        user: { id: b64url(crypto.randomBytes(16)), name: userName, displayName: userName },
        challenge: b64url(challenge),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
        timeout: 60_000,
        attestation: 'direct',
        authenticatorSelection: { residentKey: 'preferred', userVerification },
      },
    };
  }

  async function verify({ ceremonyId, credential }) {
    const ceremony = ceremonies.get(ceremonyId);
    ceremonies.delete(ceremonyId);
    if (!ceremony || ceremony.expires < Date.now()) {
      throw new HttpError(400, 'unknown or expired ceremony');
    }
    const response = credential && credential.response;
    if (!response || typeof response.attestationObject !== 'string'
        || typeof response.clientDataJSON !== 'string') {
      throw new HttpError(400, 'credential.response.attestationObject and clientDataJSON (base64url) are required');
    }
    const attestationObject = Buffer.from(response.attestationObject, 'base64url');
    const clientDataJson = Buffer.from(response.clientDataJSON, 'base64url');
    const result = await mdsd.verifyRegistration({
      attestationObject,
      clientDataJson,
      rpId,
      origins: [settings.origin],
      challenge: ceremony.challenge,
      requireUserVerification: ceremony.userVerification === 'required',
      userGroups: ceremony.groups,
    });
    return { summary: summarize(result), mdsd: result, attestationStatement: statementSummary(attestationObject) };
  }

  async function readJson(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      throw new HttpError(400, 'request body is not JSON');
    }
  }

  const send = (res, status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(type === 'application/json' ? JSON.stringify(body, null, 2) : body);
  };

  return async function handle(req, res) {
    try {
      const url = new URL(req.url, 'http://placeholder');
      if (req.method === 'GET' && STATIC[url.pathname]) {
        const [file, type] = STATIC[url.pathname];
        return send(res, 200, fs.readFileSync(path.join(__dirname, 'public', file)), type);
      }
      if (req.method === 'POST' && url.pathname === '/api/register/options') {
        const body = await readJson(req);
        const userName = typeof body.userName === 'string' && body.userName ? body.userName : 'demo-user';
        const groups = Array.isArray(body.groups) ? body.groups.filter((g) => typeof g === 'string') : [];
        const uv = ['required', 'preferred', 'discouraged'].includes(body.userVerification)
          ? body.userVerification : 'preferred';
        return send(res, 200, newCeremony({ userName, groups, userVerification: uv }));
      }
      if (req.method === 'POST' && url.pathname === '/api/register/verify') {
        const body = await readJson(req);
        return send(res, 200, await verify(body));
      }
      return send(res, 404, { error: 'not found' });
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, { error: err.message });
      if (err instanceof MdsdError) return send(res, 502, { error: err.message, mdsd: err.toJSON() });
      return send(res, 500, { error: String(err && err.message) });
    }
  };
}

// Starts the demo; resolves to { server, port, close() }.
function start({ port = 8080, host = '127.0.0.1', mdsdTarget = '127.0.0.1:50051', rpId = 'localhost', origin } = {}) {
  const mdsd = new Mdsd(mdsdTarget);
  const settings = { rpId, origin };
  const server = http.createServer(createApp(mdsd, settings));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      settings.origin = origin ?? `http://${rpId}:${actual}`;
      resolve({
        server,
        port: actual,
        origin: settings.origin,
        close: () => new Promise((r) => {
          mdsd.close();
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}

function parseArgs(argv) {
  const args = { mdsdTarget: process.env.MDSD_TARGET || '127.0.0.1:50051', port: 8080, rpId: 'localhost' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '-h' || flag === '--help') return { help: true };
    if (!['--mdsd', '--port', '--rp-id', '--origin'].includes(flag)) throw new Error(`unknown option ${flag}`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--mdsd': args.mdsdTarget = value; break;
      case '--port': args.port = Number(value); break;
      case '--rp-id': args.rpId = value; break;
      case '--origin': args.origin = value; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new Error('--port must be a port number');
  }
  return args;
}

if (require.main === module) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`error: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  start(args).then(({ origin }) => {
    console.log(`mdsd demo relying party on ${origin}/ (mdsd at ${args.mdsdTarget})`);
  }, (err) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  });
}

module.exports = { start, createApp, summarize, statementSummary };
