// Every call the demo relying party makes to mdsd, in one place (so it can be switched to the
// clients/node package without touching the server or the tests).
//
// Requests and answers are in the proto3 JSON mapping: lowerCamelCase field names, enums by name
// ("ACCEPTED", "DEVICE_BOUND"), 64-bit integers as decimal strings, bytes as standard base64,
// google.protobuf.Timestamp as RFC 3339 text; scalar and repeated fields at their default value
// are included (0, "", false, []), an absent message field is null, and an unset oneof member or
// proto3 `optional` field is left out.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'mdsd', 'v1', 'mdsd.proto');

// How protobuf.js converts messages to plain objects: the proto3 JSON mapping (as protobuf.js's
// own toJSON does), with defaults filled in and without protobuf.js's synthetic oneof-name keys.
const JSON_MAPPING = {
  keepCase: false,
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  oneofs: false,
  json: true,
};

// google.protobuf.Timestamp, decoded by protobuf.js as { seconds: "…", nanos: n }, in its JSON
// form ("2026-12-03T18:47:35.745732025Z"). mdsd.proto uses no other well-known type.
function timestampsToRfc3339(value) {
  if (Array.isArray(value)) return value.map(timestampsToRfc3339);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 2 && keys.includes('seconds') && keys.includes('nanos')) {
    const whole = new Date(Number(value.seconds) * 1000).toISOString().slice(0, 19);
    // 0, 3, 6 or 9 fractional digits, as the proto3 JSON mapping writes them.
    const nanos = String(value.nanos).padStart(9, '0');
    const digits = value.nanos === 0 ? 0 : nanos.endsWith('000000') ? 3 : nanos.endsWith('000') ? 6 : 9;
    const frac = digits ? `.${nanos.slice(0, digits)}` : '';
    return `${whole}${frac}Z`;
  }
  return Object.fromEntries(keys.map((k) => [k, timestampsToRfc3339(value[k])]));
}

let services;
function loadServices() {
  if (!services) {
    const definition = protoLoader.loadSync(PROTO, JSON_MAPPING);
    services = grpc.loadPackageDefinition(definition).mdsd.v1;
  }
  return services;
}

// The google.rpc messages mdsd puts in `grpc-status-details-bin` (google/rpc/status.proto,
// error_details.proto), as far as mdsd uses them: Status, ErrorInfo, BadRequest.
const RPC = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 },
              details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 },
              metadata: { keyType: 'string', type: 'string', id: 3 } } },
            BadRequest: {
              fields: { fieldViolations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
              nested: { FieldViolation: { fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } } } },
            },
          },
        },
      },
    },
  },
});
const DETAIL_TYPES = {
  'type.googleapis.com/google.rpc.ErrorInfo': RPC.lookupType('google.rpc.ErrorInfo'),
  'type.googleapis.com/google.rpc.BadRequest': RPC.lookupType('google.rpc.BadRequest'),
};

// The google.rpc.Status details of a failed call, each in its proto3 JSON form with "@type";
// details of other types are kept as { "@type", value (base64) }. Empty when there are none.
function statusDetails(metadata) {
  const raw = metadata && metadata.get('grpc-status-details-bin')[0];
  if (!raw) return [];
  let status;
  try {
    status = RPC.lookupType('google.rpc.Status').decode(raw);
  } catch {
    return [];
  }
  return status.details.map((any) => {
    const type = DETAIL_TYPES[any.type_url];
    if (!type) return { '@type': any.type_url, value: Buffer.from(any.value).toString('base64') };
    try {
      return { '@type': any.type_url, ...type.toObject(type.decode(any.value), { defaults: true, json: true }) };
    } catch {
      return { '@type': any.type_url, value: Buffer.from(any.value).toString('base64') };
    }
  });
}

// An RPC that failed with a gRPC status: `code` is the status name (e.g. "INVALID_ARGUMENT"),
// `reason` the stable ErrorInfo reason (e.g. "POLICY_NOT_CONFIGURED"; empty when the status has
// none), `details` the decoded google.rpc details (ErrorInfo, BadRequest with fieldViolations).
class MdsdError extends Error {
  constructor(err) {
    const code = grpc.status[err.code] ?? String(err.code);
    const details = statusDetails(err.metadata);
    const info = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
    super(`mdsd ${code}${info ? ` ${info.reason}` : ''}: ${err.details}`);
    this.name = 'MdsdError';
    this.code = code;
    this.reason = info ? info.reason : '';
    this.details = details;
    this.statusMessage = err.details;
  }

  toJSON() {
    return { code: this.code, reason: this.reason, message: this.statusMessage, details: this.details };
  }
}

// A connection to one daemon (`target`: "127.0.0.1:50051" or "unix:/run/mdsd.sock"), plaintext:
// loopback or a Unix socket only.
class Mdsd {
  constructor(target, { timeoutMs = 10_000 } = {}) {
    const { AttestationService } = loadServices();
    this.client = new AttestationService(target, grpc.credentials.createInsecure());
    this.timeoutMs = timeoutMs;
  }

  call(method, request) {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.timeoutMs);
      this.client[method](request, { deadline }, (err, response) =>
        err ? reject(new MdsdError(err)) : resolve(timestampsToRfc3339(response)));
    });
  }

  // VerifyRegistration. `attestationObject`, `clientDataJson` and `challenge` are Buffers (raw
  // bytes, as the browser returned them / as issued); `rpId`, `origins`, `userGroups` and
  // `requireUserVerification` are the ceremony checks and the policy input.
  verifyRegistration({ attestationObject, clientDataJson, rpId, origins, challenge,
    requireUserVerification, userGroups, profile }) {
    const request = {
      attestationObject,
      clientDataJson,
      rpId: rpId ?? '',
      origins: origins ?? [],
      challenge: challenge ?? Buffer.alloc(0),
      userGroups: userGroups ?? [],
      profile: profile ?? '',
    };
    if (requireUserVerification !== undefined) {
      request.requireUserVerification = requireUserVerification;
    }
    return this.call('VerifyRegistration', request);
  }

  // GetAuthenticator by AAGUID (canonical UUID) or U2F key identifier (hex).
  getAuthenticator({ aaguid, keyIdentifier }) {
    return this.call('GetAuthenticator', aaguid ? { aaguid } : { keyIdentifier });
  }

  getMetadataInfo() {
    return this.call('GetMetadataInfo', {});
  }

  // Resolves once the daemon serves verified metadata (GetMetadataInfo `loaded`), or rejects
  // after `timeoutMs`.
  async waitLoaded(timeoutMs = 30_000) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
      try {
        const info = await this.getMetadataInfo();
        if (info.loaded) return info;
        last = info;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`mdsd did not load metadata in ${timeoutMs} ms (last: ${
      last instanceof Error ? last.message : JSON.stringify(last)})`);
  }

  close() {
    this.client.close();
  }
}

module.exports = { Mdsd, MdsdError, timestampsToRfc3339 };
