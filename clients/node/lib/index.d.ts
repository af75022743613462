// Types of the mdsd Node client (lib/index.js). The messages are in ./messages.d.ts.
import type { JsonObject } from '@bufbuild/protobuf';
import type { Registry } from '@bufbuild/protobuf';
import type * as M from './messages';

export * from './messages';

/** HOST:PORT mdsd listens on by default. */
export declare const DEFAULT_TARGET: '127.0.0.1:50051';
/** Seconds per unary call unless a call says otherwise. */
export declare const DEFAULT_TIMEOUT: 10;
/** The descriptors of mdsd.v1, google.rpc.Status and error_details.proto. */
export declare const registry: Registry;

/** Any mdsd message in the proto3 JSON mapping (fields without presence at their default). */
export declare function toJson(message: { $typeName: string }): JsonObject;

export interface Tls {
  /** PEM roots the server certificate must chain to (default: the system roots). */
  caFile?: string;
  /** Client certificate chain (PEM) for mTLS; needs keyFile. */
  certFile?: string;
  keyFile?: string;
  /** Name checked in the server certificate (e.g. "localhost" when dialling an IP). */
  serverName?: string;
}

export interface ClientOptions {
  tls?: Tls;
  /** Seconds per unary call (default 10). */
  timeout?: number;
  /** Extra @grpc/grpc-js channel options. */
  channelOptions?: Record<string, string | number>;
}

export interface CallOptions {
  /** Seconds for this call (default: the client's). */
  timeout?: number;
}

export interface RegistrationChecks extends CallOptions {
  rpId?: string;
  origins?: string[];
  /** The challenge issued, raw bytes. */
  challenge?: Uint8Array;
  topOrigins?: string[];
  requireUserVerification?: boolean;
  requireUserPresence?: boolean;
  userGroups?: string[];
  profile?: string;
}

export interface ListFilter extends CallOptions {
  pageSize?: number;
  pageToken?: string;
  descriptionContains?: string;
  statuses?: string[];
  includeEntryJson?: boolean;
}

export interface AuthenticationFacts extends CallOptions {
  aaguid?: string;
  /** authenticatorData flags byte of the assertion. */
  flags?: number;
  registrationTrust?: string;
  userGroups?: string[];
  profile?: string;
}

/** A RegisteredCredential in its proto3 JSON form (bytes base64, timestamps RFC 3339). */
export interface RegisteredCredentialJson {
  aaguid?: string;
  keyIdentifier?: string;
  attestationSha256?: string[];
  registeredAt?: string;
  credentialId?: string;
  flags?: number;
  registrationTrust?: string;
}

export interface FieldViolation {
  field: string;
  description: string;
}

/** A failed RPC: the gRPC code, the ErrorInfo reason and the google.rpc details. */
export declare class MdsdError extends Error {
  /** gRPC status code (3 for INVALID_ARGUMENT). */
  readonly code: number;
  readonly codeName: string;
  /** The status message. */
  readonly grpcMessage: string;
  /** google.rpc.ErrorInfo.reason ("INVALID_ARGUMENT", "METADATA_NOT_LOADED", ...); "" without. */
  readonly reason: string;
  readonly domain: string;
  readonly metadata: { [key: string]: string };
  readonly fieldViolations: FieldViolation[];
  /** Decoded google.rpc detail messages (an Any when the type is unknown). */
  readonly details: Array<{ $typeName: string }>;
  /** The google.rpc.Status in proto3 JSON: { code, message, details: [{ "@type": ... }] }. */
  toJSON(): JsonObject;
}

export declare class Client {
  constructor(target?: string, options?: ClientOptions);
  readonly target: string;
  readonly timeout: number;
  close(): void;
  verifyRegistration(attestationObject: Uint8Array, clientDataJson: Uint8Array,
    checks?: RegistrationChecks): Promise<M.VerifyRegistrationResponse>;
  validateAttestationChain(x5c: Uint8Array[],
    key: { aaguid?: string; keyIdentifier?: string } & CallOptions
  ): Promise<M.ValidateAttestationChainResponse>;
  getAuthenticator(key: { aaguid?: string; keyIdentifier?: string; aaid?: string } & CallOptions
  ): Promise<M.GetAuthenticatorResponse>;
  listAuthenticators(filter?: ListFilter): Promise<M.ListAuthenticatorsResponse>;
  getMetadataInfo(options?: CallOptions): Promise<M.GetMetadataInfoResponse>;
  evaluateAuthentication(facts: AuthenticationFacts): Promise<M.EvaluateAuthenticationResponse>;
  checkCredentials(credentials: Array<M.RegisteredCredential | RegisteredCredentialJson>,
    options?: { userGroups?: string[]; profile?: string } & CallOptions
  ): Promise<M.CheckCredentialsResponse>;
  watchStatusChanges(options?: { sinceNo?: number | bigint; sinceSequence?: number | bigint;
    timeout?: number }
  ): AsyncGenerator<M.StatusChangeEvent, void, undefined>;
}
