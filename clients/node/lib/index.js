// Node.js client for mdsd: one method per RPC of proto/mdsd/v1/mdsd.proto with the same names,
// arguments and defaults as the Python and Rust clients (docs/integrate.md, "Client packages").
// Messages are @bufbuild/protobuf messages built from lib/mdsd.binpb (the descriptors of the
// proto and of google.rpc error details); `toJson` prints them in the proto3 JSON mapping.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { create, createFileRegistry, fromBinary, fromJson, toBinary, toJson: esToJson } =
  require('@bufbuild/protobuf');
const { anyUnpack, FileDescriptorSetSchema } = require('@bufbuild/protobuf/wkt');

/** Where mdsd listens by default (docs/config.md `listen`). */
const DEFAULT_TARGET = '127.0.0.1:50051';
/** Per-call deadline in seconds unless a call says otherwise (the daemon's own default). */
const DEFAULT_TIMEOUT = 10;
/** The trailer that carries the serialized google.rpc.Status. */
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, fs.readFileSync(path.join(__dirname, 'mdsd.binpb'))));
const service = registry.getService('mdsd.v1.AttestationService');
const schema = (name) => registry.getMessage(name);

/** Enums of the API by value name, e.g. `Verdict.ACCEPTED === 1`. */
const enums = {};
for (const name of ['Verdict', 'CredentialKind', 'ChangeKind']) {
  const e = registry.getEnum(`mdsd.v1.${name}`);
  enums[name] = Object.fromEntries(e.values.map((v) => [v.name, v.number]));
}

/**
 * A message in the proto3 JSON mapping, the one shape every mdsd client,
 * `mdsd attestation verify --json` and grpcurl print: lowerCamelCase names, enums by name,
 * bytes as base64, 64-bit integers as strings, fields without presence printed at their
 * default (messages and unset `optional` fields left out).
 */
function toJson(message) {
  return esToJson(schema(message.$typeName), message,
    { alwaysEmitImplicit: true, registry });
}

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));

/** An RPC that failed: gRPC code, message, ErrorInfo reason and the google.rpc details. */
class MdsdError extends Error {
  constructor(code, message, details = []) {
    const codeName = CODE_NAMES[code] || 'UNKNOWN';
    const info = details.find((d) => d.$typeName === 'google.rpc.ErrorInfo');
    const reason = info ? info.reason : '';
    super(`${codeName}${reason ? ` [${reason}]` : ''}: ${message}`);
    this.name = 'MdsdError';
    this.code = code;
    this.codeName = codeName;
    this.grpcMessage = message;
    this.reason = reason;
    this.domain = info ? info.domain : '';
    this.metadata = info ? { ...info.metadata } : {};
    this.fieldViolations = details
      .filter((d) => d.$typeName === 'google.rpc.BadRequest')
      .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    this.details = details;
  }

  /** The google.rpc.Status in the proto3 JSON mapping ({code: 3, message, details: [...]}). */
  toJSON() {
    const Any = schema('google.protobuf.Any');
    const details = this.details.map((d) => (d.$typeName === 'google.protobuf.Any' ? d
      : create(Any, {
        typeUrl: `type.googleapis.com/${d.$typeName}`,
        value: toBinary(schema(d.$typeName), d),
      })));
    const status = create(schema('google.rpc.Status'),
      { code: this.code, message: this.grpcMessage, details });
    return esToJson(schema('google.rpc.Status'), status, { registry });
  }

  /** From a @grpc/grpc-js ServiceError. */
  static fromServiceError(err) {
    const raw = err.metadata ? err.metadata.get(STATUS_DETAILS_KEY)[0] : undefined;
    return new MdsdError(err.code ?? grpc.status.UNKNOWN, err.details ?? err.message,
      decodeDetails(raw));
  }
}

/** The detail messages of a serialized google.rpc.Status (none when unreadable). */
function decodeDetails(raw) {
  if (!raw || !(raw instanceof Uint8Array)) return [];
  let status;
  try {
    status = fromBinary(schema('google.rpc.Status'), raw);
  } catch {
    return [];
  }
  return status.details.map((any) => {
    try {
      return anyUnpack(any, registry) ?? any;
    } catch {
      return any;
    }
  });
}

function channelCredentials(tls) {
  if (!tls) return grpc.credentials.createInsecure();
  const read = (p) => (p ? fs.readFileSync(p) : null);
  if (!tls.certFile !== !tls.keyFile) throw new TypeError('tls: certFile and keyFile go together');
  return grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

function oneKey(what, keys) {
  const given = Object.entries(keys).filter(([, v]) => v);
  if (given.length !== 1) {
    throw new TypeError(`${what}: give exactly one of ${Object.keys(keys).join(', ')}`);
  }
  return { case: given[0][0], value: given[0][1] };
}

function credential(c) {
  const s = schema('mdsd.v1.RegisteredCredential');
  return c && c.$typeName ? c : fromJson(s, c, { registry });
}

/**
 * The client. `target` is HOST:PORT or unix:PATH; `options.tls` = {caFile, certFile, keyFile,
 * serverName}; `options.timeout` in seconds (default 10) for every unary call. Methods return
 * promises of response messages and reject with MdsdError; a REJECTED attestation is a normal
 * response (verdict, reasons).
 */
class Client {
  constructor(target = DEFAULT_TARGET, options = {}) {
    const { tls, timeout = DEFAULT_TIMEOUT, channelOptions = {} } = options;
    if (target.startsWith('unix:') && tls) throw new TypeError('TLS over a unix: socket is not supported by mdsd');
    this.target = target;
    this.timeout = timeout;
    const opts = { ...channelOptions };
    if (tls && tls.serverName) {
      opts['grpc.ssl_target_name_override'] = tls.serverName;
      opts['grpc.default_authority'] = tls.serverName;
    }
    const definition = {};
    for (const m of service.methods) {
      definition[m.localName] = {
        path: `/${service.typeName}/${m.name}`,
        requestStream: false,
        responseStream: m.methodKind === 'server_streaming',
        requestSerialize: (msg) => Buffer.from(toBinary(m.input, msg)),
        requestDeserialize: (b) => fromBinary(m.input, b),
        responseSerialize: (msg) => Buffer.from(toBinary(m.output, msg)),
        responseDeserialize: (b) => fromBinary(m.output, b),
      };
    }
    const Stub = grpc.makeGenericClientConstructor(definition, service.typeName);
    this.stub = new Stub(target, channelCredentials(tls), opts);
  }

  close() {
    this.stub.close();
  }

  unary(method, init, timeout) {
    const m = service.methods.find((x) => x.localName === method);
    const request = create(m.input, init);
    const seconds = timeout ?? this.timeout;
    return new Promise((resolve, reject) => {
      this.stub[method](request, { deadline: Date.now() + seconds * 1000 }, (err, response) => {
        if (err) reject(MdsdError.fromServiceError(err));
        else resolve(response);
      });
    });
  }

  /** VerifyRegistration; checks: rpId, origins, challenge (bytes), topOrigins,
   * requireUserVerification, requireUserPresence, userGroups, profile, timeout. */
  verifyRegistration(attestationObject, clientDataJson, checks = {}) {
    const { timeout, ...rest } = checks;
    return this.unary('verifyRegistration', { attestationObject, clientDataJson, ...rest }, timeout);
  }

  validateAttestationChain(x5c, { aaguid = '', keyIdentifier = '', timeout } = {}) {
    const authenticator = oneKey('validateAttestationChain', { aaguid, keyIdentifier });
    return this.unary('validateAttestationChain', { x5c, authenticator }, timeout);
  }

  getAuthenticator({ aaguid = '', keyIdentifier = '', aaid = '', timeout } = {}) {
    const key = oneKey('getAuthenticator', { aaguid, keyIdentifier, aaid });
    return this.unary('getAuthenticator', { key }, timeout);
  }

  listAuthenticators({ timeout, ...filter } = {}) {
    return this.unary('listAuthenticators', filter, timeout);
  }

  getMetadataInfo({ timeout } = {}) {
    return this.unary('getMetadataInfo', {}, timeout);
  }

  evaluateAuthentication({ timeout, ...facts } = {}) {
    return this.unary('evaluateAuthentication', facts, timeout);
  }

  /** Each credential a RegisteredCredential message or its proto3 JSON object
   * ({aaguid, attestationSha256: [...], registeredAt: "2026-01-01T00:00:00Z", credentialId: base64}). */
  checkCredentials(credentials, { userGroups = [], profile = '', timeout } = {}) {
    return this.unary('checkCredentials',
      { credentials: credentials.map(credential), userGroups, profile }, timeout);
  }

  /** WatchStatusChanges as an async iterator of events; `timeout` (seconds) bounds the whole
   * stream (default: none). Resume with `sinceSequence` (the last event's `sequence`) or
   * `sinceNo` (the last `metadataNo`), not both. */
  async *watchStatusChanges({ sinceNo, sinceSequence, timeout } = {}) {
    const m = service.methods.find((x) => x.localName === 'watchStatusChanges');
    const init = {};
    if (sinceNo !== undefined) init.sinceNo = BigInt(sinceNo);
    if (sinceSequence !== undefined) init.sinceSequence = BigInt(sinceSequence);
    const options = timeout === undefined ? {} : { deadline: Date.now() + timeout * 1000 };
    const call = this.stub.watchStatusChanges(create(m.input, init), options);
    try {
      for await (const event of call) yield event;
    } catch (err) {
      throw MdsdError.fromServiceError(err);
    } finally {
      call.cancel();
    }
  }
}

module.exports = {
  Client, MdsdError, toJson, registry, DEFAULT_TARGET, DEFAULT_TIMEOUT, ...enums,
};
