// Every call the demo relying party makes to mdsd, in one place, through this repository's Node
// client package (clients/node, `@mdsd/client`).
//
// Answers are plain objects in the proto3 JSON mapping as the client package's `toJson` prints
// them — the one shape of `mdsd attestation verify --json`, every client and grpcurl
// (docs/integrate.md, "One JSON shape"): lowerCamelCase names, enums by name ("ACCEPTED",
// "DEVICE_BOUND"), 64-bit integers as strings, bytes as base64, timestamps in RFC 3339; fields
// without presence at their default; absent messages and unset optional fields left out.
'use strict';

const client = require('@mdsd/client');

// An RPC that failed with a gRPC status: `code` is the status name (e.g. "INVALID_ARGUMENT"),
// `reason` the stable ErrorInfo reason (empty when the status has none), `details` the
// google.rpc details in their proto3 JSON form, each with "@type".
class MdsdError extends Error {
  constructor(err) {
    super(err.message);
    this.name = 'MdsdError';
    this.code = err.codeName;
    this.reason = err.reason;
    this.details = err.toJSON().details ?? [];
    this.statusMessage = err.grpcMessage;
  }

  toJSON() {
    return { code: this.code, reason: this.reason, message: this.statusMessage, details: this.details };
  }
}

// A connection to one daemon (`target`: "127.0.0.1:50051" or "unix:/run/mdsd.sock"), plaintext:
// loopback or a Unix socket only.
class Mdsd {
  constructor(target, { timeoutMs = 10_000 } = {}) {
    this.client = new client.Client(target, { timeout: timeoutMs / 1000 });
  }

  async call(rpc) {
    try {
      return client.toJson(await rpc());
    } catch (err) {
      throw err instanceof client.MdsdError ? new MdsdError(err) : err;
    }
  }

  // VerifyRegistration. `attestationObject`, `clientDataJson` and `challenge` are Buffers (raw
  // bytes, as the browser returned them / as issued); `rpId`, `origins`, `userGroups` and
  // `requireUserVerification` are the ceremony checks and the policy input.
  verifyRegistration({ attestationObject, clientDataJson, rpId, origins, challenge,
    requireUserVerification, userGroups, profile }) {
    const checks = {
      rpId: rpId ?? '',
      origins: origins ?? [],
      challenge: challenge ?? new Uint8Array(0),
      userGroups: userGroups ?? [],
      profile: profile ?? '',
    };
    if (requireUserVerification !== undefined) checks.requireUserVerification = requireUserVerification;
    return this.call(() => this.client.verifyRegistration(attestationObject, clientDataJson, checks));
  }

  // GetAuthenticator by AAGUID (canonical UUID) or U2F key identifier (hex).
  getAuthenticator({ aaguid, keyIdentifier }) {
    return this.call(() => this.client.getAuthenticator(aaguid ? { aaguid } : { keyIdentifier }));
  }

  getMetadataInfo() {
    return this.call(() => this.client.getMetadataInfo());
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

// `ClientError`: the client package's error, which MdsdError wraps (for stand-ins in tests).
module.exports = { Mdsd, MdsdError, ClientError: client.MdsdError };
