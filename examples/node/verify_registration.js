#!/usr/bin/env node
// Calls mdsd's VerifyRegistration from Node.js (@grpc/grpc-js), loading the proto in this
// repository at run time.
//
//   npm install --prefix examples/node
//   node examples/node/verify_registration.js --target 127.0.0.1:50051 \
//     --attestation-object <base64url> --client-data-json <base64url> \
//     --rp-id example.org --origin https://example.org --challenge <base64url>
//
// Prints the response as JSON and exits 0 when ACCEPTED, 1 when REJECTED, 2 on an RPC error.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function parseArgs(argv) {
  const args = { target: '127.0.0.1:50051', origins: [], rpId: '', challenge: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    switch (flag) {
      case '--target': args.target = value; break;
      case '--attestation-object': args.attestationObject = value; break;
      case '--client-data-json': args.clientDataJson = value; break;
      case '--rp-id': args.rpId = value; break;
      case '--origin': args.origins.push(value); break;
      case '--challenge': args.challenge = value; break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (!args.attestationObject || !args.clientDataJson) {
    throw new Error('--attestation-object and --client-data-json are required');
  }
  return args;
}

const b64url = (s) => Buffer.from(s, 'base64url');

function main() {
  const args = parseArgs(process.argv.slice(2));
  const definition = protoLoader.loadSync(
    path.join(__dirname, '..', '..', 'proto', 'mdsd', 'v1', 'mdsd.proto'),
    { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
  );
  const mdsd = grpc.loadPackageDefinition(definition).mdsd.v1;
  const client = new mdsd.AttestationService(args.target, grpc.credentials.createInsecure());
  const request = {
    attestation_object: b64url(args.attestationObject),
    client_data_json: b64url(args.clientDataJson),
    rp_id: args.rpId,
    origins: args.origins,
    challenge: args.challenge ? b64url(args.challenge) : Buffer.alloc(0),
  };
  const deadline = new Date(Date.now() + 10_000);
  client.VerifyRegistration(request, { deadline }, (err, response) => {
    if (err) {
      console.error(JSON.stringify({ code: err.code, details: err.details }));
      process.exit(2);
    }
    const printable = { ...response };
    for (const k of ['credential_id', 'credential_public_key']) {
      printable[k] = Buffer.from(response[k]).toString('base64url');
    }
    console.log(JSON.stringify(printable, null, 2));
    process.exit(response.verdict === 'ACCEPTED' ? 0 : 1);
  });
}

main();
