#!/usr/bin/env node
// Calls mdsd's VerifyRegistration with the Node client package (clients/node).
'use strict';

const { parseArgs } = require('node:util');

const HELP = `Usage: node examples/node/verify_registration.js [options]

Calls mdsd's VerifyRegistration with the Node client package (clients/node).

  npm ci --prefix examples/node
  node examples/node/verify_registration.js --target 127.0.0.1:50051 \\
    --attestation-object <base64url> --client-data-json <base64url> \\
    --rp-id example.org --origin https://example.org --challenge <base64url>

Prints the response in the proto3 JSON mapping (the shape of \`mdsd attestation verify --json\`
and grpcurl) and exits 0 when the verdict is ACCEPTED, 1 when REJECTED, 2 on an RPC error:
then stderr has one line with the gRPC code, the ErrorInfo reason and the BadRequest field
violations, and the google.rpc.Status with every detail as JSON.

Options:
  --target HOST:PORT|unix:PATH   default 127.0.0.1:50051
  --attestation-object B64URL    required
  --client-data-json B64URL      required
  --rp-id ID                     check authenticatorData.rpIdHash
  --origin ORIGIN                acceptable origin (repeat)
  --challenge B64URL             the challenge issued
  --require-user-verification
  --user-group GROUP             the user's group, for the passkey profiles (repeat)
  --profile NAME                 judge against this one passkey profile
  --ca FILE                      TLS: PEM roots for the server certificate
  --cert FILE / --key FILE       mTLS: client certificate and key (PEM)
  --server-name NAME             TLS: name to check in the server certificate
  --timeout SECONDS              default 10
  -h, --help                     this text`;

const OPTIONS = {
  target: { type: 'string', default: '127.0.0.1:50051' },
  'attestation-object': { type: 'string' },
  'client-data-json': { type: 'string' },
  'rp-id': { type: 'string', default: '' },
  origin: { type: 'string', multiple: true, default: [] },
  challenge: { type: 'string', default: '' },
  'require-user-verification': { type: 'boolean', default: false },
  'user-group': { type: 'string', multiple: true, default: [] },
  profile: { type: 'string', default: '' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'server-name': { type: 'string' },
  timeout: { type: 'string', default: '10' },
  help: { type: 'boolean', short: 'h', default: false },
};

function usage(message) {
  process.stderr.write(`error: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

function b64url(text, flag) {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) usage(`${flag} is not base64url`);
  return Buffer.from(text, 'base64url');
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({ options: OPTIONS, strict: true }));
  } catch (e) {
    usage(e.message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  for (const required of ['attestation-object', 'client-data-json']) {
    if (values[required] === undefined) usage(`--${required} is required`);
  }
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) usage('--timeout must be a positive number of seconds');
  // Loaded after the arguments: --help works before the dependencies are installed.
  const { Client, MdsdError, toJson, Verdict } = require('@mdsd/client');
  const tls = values.ca || values.cert || values.key || values['server-name']
    ? { caFile: values.ca, certFile: values.cert, keyFile: values.key,
      serverName: values['server-name'] }
    : undefined;
  const checks = {
    rpId: values['rp-id'], origins: values.origin, userGroups: values['user-group'],
    profile: values.profile,
  };
  if (values.challenge) checks.challenge = b64url(values.challenge, '--challenge');
  if (values['require-user-verification']) checks.requireUserVerification = true;
  let client;
  try {
    client = new Client(values.target, { tls, timeout });
    const response = await client.verifyRegistration(
      b64url(values['attestation-object'], '--attestation-object'),
      b64url(values['client-data-json'], '--client-data-json'), checks);
    process.stdout.write(`${JSON.stringify(toJson(response), null, 2)}\n`);
    return response.verdict === Verdict.ACCEPTED ? 0 : 1;
  } catch (e) {
    if (!(e instanceof MdsdError) && !(e instanceof TypeError)) throw e;
    if (e instanceof TypeError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    const fields = e.fieldViolations.map((f) => ` field='${f.field}' (${f.description})`).join('');
    process.stderr.write(`error: ${e.codeName} reason=${e.reason || '-'}${fields}: ${e.grpcMessage}\n`);
    process.stderr.write(`${JSON.stringify(e.toJSON(), null, 2)}\n`);
    return 2;
  } finally {
    if (client) client.close();
  }
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 2;
});
