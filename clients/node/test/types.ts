// Type-checked (not run) by `npm test`: the declarations in lib/*.d.ts describe the API the
// tests use; a wrong name or type here fails `tsc`.
import { Client, MdsdError, toJson, Verdict, CredentialKind, DEFAULT_TARGET } from '..';
import type { VerifyRegistrationResponse, RegisteredCredential } from '..';

export async function example(ao: Uint8Array, cd: Uint8Array): Promise<string> {
  const c = new Client(DEFAULT_TARGET, { timeout: 5, tls: { caFile: 'ca.pem', serverName: 'localhost' } });
  try {
    const r: VerifyRegistrationResponse = await c.verifyRegistration(ao, cd, {
      rpId: 'example.org', origins: ['https://example.org'], challenge: new Uint8Array(32),
      userGroups: ['staff'],
    });
    const kind: CredentialKind = r.credentialKind;
    const alg: bigint | undefined = r.credentialAlg;
    const key = r.provenance?.metadataKey;
    const stored = key?.case === 'aaguid' ? key.value : undefined;
    const checked = await c.checkCredentials([{ aaguid: stored, registeredAt: '2026-01-01T00:00:00Z' }]);
    const first: boolean | undefined = checked.results[0]?.trusted;
    for await (const event of c.watchStatusChanges({ sinceNo: 3n, timeout: 1 })) {
      const no: bigint = event.metadataNo;
      void no;
    }
    void kind; void alg; void first;
    return r.verdict === Verdict.ACCEPTED ? JSON.stringify(toJson(r)) : 'rejected';
  } catch (e) {
    if (e instanceof MdsdError) return `${e.codeName} ${e.reason} ${e.fieldViolations.map((f) => f.field)}`;
    throw e;
  } finally {
    c.close();
  }
}

export function keep(c: RegisteredCredential): string {
  return c.authenticator.case ?? '';
}
