// SimpleWebAuthn + mdsd, two ways (docs/integrate.md, "SimpleWebAuthn"):
//
// 1. verifyRegistrationWithMdsd(): @simplewebauthn/server verifies the ceremony (challenge,
//    origin, RP ID, signature), then mdsd is asked what SimpleWebAuthn cannot say on its own —
//    is the attestation trusted (verified MDS metadata, status reports, operator anchors), which
//    model made it, device-bound or synced, and is the passkey allowed under the daemon's
//    passkey profiles for this user's groups.
// 2. useMdsdMetadata(): makes SimpleWebAuthn's own MetadataService answer from mdsd's verified
//    BLOB, so verifyRegistrationResponse checks x5c against the metadata statement mdsd serves
//    (attestationRootCertificates, attestationTypes, authenticationAlgorithms) instead of a
//    BLOB SimpleWebAuthn downloads itself.
//
// The mdsd calls go through ../browser-demo/mdsd.js (the Node client package, proto3 JSON mapping).
'use strict';

const { verifyRegistrationResponse, MetadataService } = require('@simplewebauthn/server');
const { MdsdError } = require('../browser-demo/mdsd');

// Statuses for which the metadata statement is not handed to SimpleWebAuthn (registration then
// fails there); mdsd's own verdict refuses the same ones.
const REFUSED_STATUSES = new Set([
  'REVOKED', 'ATTESTATION_KEY_COMPROMISE', 'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE', 'USER_VERIFICATION_BYPASS',
]);

class MetadataRefused extends Error {
  constructor(aaguid, status) {
    super(`mdsd: authenticator ${aaguid} has status ${status}`);
    this.name = 'MetadataRefused';
    this.aaguid = aaguid;
    this.status = status;
  }
}

// Plugs mdsd into SimpleWebAuthn's MetadataService (the CommonJS build's singleton, the one
// `require('@simplewebauthn/server')` returns; an application that `import`s the ESM build has a
// second singleton and must patch that one: pass it as `service`).
//
// SimpleWebAuthn consults MetadataService.getStatement(aaguid) for packed (with x5c), tpm,
// android-key and android-safetynet, never for fido-u2f (no key-identifier lookup), apple or
// none. `mode`: "strict" throws when mdsd has no entry for the AAGUID (FIDO conformance),
// "permissive" lets SimpleWebAuthn go on without metadata. Returns a function that restores
// the original getStatement.
function useMdsdMetadata(mdsd, { mode = 'permissive', service = MetadataService } = {}) {
  if (mode !== 'strict' && mode !== 'permissive') throw new Error(`mode must be strict or permissive: ${mode}`);
  const hadOwn = Object.prototype.hasOwnProperty.call(service, 'getStatement');
  const original = service.getStatement;
  service.getStatement = async (aaguid) => {
    if (!aaguid) return undefined;
    const id = typeof aaguid === 'string' ? aaguid : aaguidToString(aaguid);
    let answer;
    try {
      answer = await mdsd.getAuthenticator({ aaguid: id });
    } catch (err) {
      if (err instanceof MdsdError && err.code === 'NOT_FOUND') {
        if (mode === 'strict') throw new Error(`No metadata statement found for aaguid "${id}" (mdsd)`);
        return undefined;
      }
      throw err;
    }
    const { authenticator } = answer;
    if (REFUSED_STATUSES.has(authenticator.currentStatus)) {
      throw new MetadataRefused(id, authenticator.currentStatus);
    }
    return JSON.parse(authenticator.entryJson).metadataStatement;
  };
  return () => {
    if (hadOwn) service.getStatement = original;
    else delete service.getStatement;
  };
}

function aaguidToString(bytes) {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// SimpleWebAuthn's credentialDeviceType for mdsd's credentialKind.
const DEVICE_TYPE = { DEVICE_BOUND: 'singleDevice', SYNCED: 'multiDevice' };

// Verifies a registration with SimpleWebAuthn, then asks mdsd. `options` are
// verifyRegistrationResponse's (response, expectedChallenge — a string —, expectedOrigin,
// expectedRPID, requireUserVerification, ...); `userGroups` are passed to mdsd's passkey
// profiles.
//
// Resolves to { verified, registrationInfo, mdsd, trusted, allowed }: `verified` is
// SimpleWebAuthn's (the ceremony and the statement); `mdsd` is mdsd's VerifyRegistration
// answer (proto3 JSON); `trusted` is mdsd's attestation trust; `allowed` is the passkey-policy
// decision when the daemon has one, otherwise `trusted`. Register the credential only when
// `verified && allowed` (or `verified` alone if unattested passkeys are acceptable).
// Throws when SimpleWebAuthn throws, and when the two disagree on what was registered.
async function verifyRegistrationWithMdsd(mdsd, options, { userGroups = [] } = {}) {
  const verification = await verifyRegistrationResponse(options);
  if (!verification.verified) {
    return { verified: false, registrationInfo: undefined, mdsd: null, trusted: false, allowed: false };
  }
  const { response } = options;
  const origins = Array.isArray(options.expectedOrigin) ? options.expectedOrigin : [options.expectedOrigin];
  const rpIds = Array.isArray(options.expectedRPID) ? options.expectedRPID : [options.expectedRPID];
  const info = verification.registrationInfo;
  const answer = await mdsd.verifyRegistration({
    attestationObject: Buffer.from(response.response.attestationObject, 'base64url'),
    clientDataJson: Buffer.from(response.response.clientDataJSON, 'base64url'),
    // SimpleWebAuthn already matched one of the expected RP IDs; mdsd checks that one again.
    rpId: info.rpID ?? (rpIds.length === 1 ? rpIds[0] : ''),
    origins: origins.filter((o) => typeof o === 'string'),
    challenge: typeof options.expectedChallenge === 'string'
      ? Buffer.from(options.expectedChallenge, 'base64url') : Buffer.alloc(0),
    requireUserVerification: options.requireUserVerification ?? true,
    userGroups,
  });
  // Both read the same attestationObject; a disagreement means a bug on one side.
  const mdsdCredentialId = Buffer.from(answer.credentialId, 'base64').toString('base64url');
  const mismatches = [];
  if (mdsdCredentialId !== info.credential.id) mismatches.push('credential ID');
  if (answer.format !== info.fmt) mismatches.push(`format (${info.fmt} / ${answer.format})`);
  if (answer.aaguid !== info.aaguid) mismatches.push(`AAGUID (${info.aaguid} / ${answer.aaguid})`);
  if (DEVICE_TYPE[answer.credentialKind] !== info.credentialDeviceType) {
    mismatches.push(`device type (${info.credentialDeviceType} / ${answer.credentialKind})`);
  }
  if (mismatches.length) {
    throw new Error(`SimpleWebAuthn and mdsd disagree on ${mismatches.join(', ')}`);
  }
  return {
    verified: verification.verified && answer.statementValid,
    registrationInfo: info,
    mdsd: answer,
    trusted: answer.trusted,
    allowed: answer.policy ? answer.policy.allowed : answer.trusted,
  };
}

module.exports = { useMdsdMetadata, verifyRegistrationWithMdsd, MetadataRefused, REFUSED_STATUSES };
