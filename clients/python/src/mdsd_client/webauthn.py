"""py_webauthn drop-in: verify the ceremony with py_webauthn (PyPI `webauthn`), then ask mdsd
what py_webauthn cannot know — is the attestation trusted under verified FIDO metadata, which
authenticator model made it, is it device-bound or synced, does the passkey policy allow it —
and combine the two answers into one decision.

    from mdsd_client import Client
    from mdsd_client.webauthn import verify_registration

    with Client() as mdsd:
        reg = verify_registration(mdsd, credential=request_json, expected_challenge=challenge,
                                  expected_origin="https://example.org",
                                  expected_rp_id="example.org", user_groups=["staff"])
    if reg.allowed:
        store(reg.verified.credential_id, reg.verified.credential_public_key,
              reg.verified.sign_count, metadata_key=reg.metadata_key,
              attestation_trust=reg.attestation_trust)

py_webauthn raises InvalidRegistrationResponse for a bad ceremony (as it always does); mdsd
raises MdsdError when it cannot answer (no metadata yet: UNAVAILABLE / METADATA_NOT_LOADED).
Needs `pip install 'mdsd-client[webauthn]'`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from webauthn import verify_registration_response
from webauthn.helpers import parse_registration_credential_json
from webauthn.helpers.structs import RegistrationCredential
from webauthn.registration.verify_registration_response import VerifiedRegistration

from ._client import Client
from ._proto import mdsd_pb2 as pb


class Disagreement(Exception):
    """py_webauthn and mdsd read the same registration differently (credential ID, public key
    or the statement's validity): never register such a credential; report it."""


@dataclasses.dataclass(frozen=True)
class Registration:
    """Both answers and the decision.

    `verified` is py_webauthn's result (the ceremony: challenge, origin, RP ID, UP/UV, the
    statement's signature). `mdsd` is mdsd's VerifyRegistrationResponse (trust, model, kind,
    policy). `allowed` is the decision: the passkey policy's when the daemon has `[policy]`,
    else `trusted` when `require_trusted`, else True (py_webauthn accepted the ceremony).
    """

    verified: VerifiedRegistration
    mdsd: pb.VerifyRegistrationResponse
    allowed: bool
    #: The attestation leads to a root the metadata (or an operator anchor) vouches for.
    trusted: bool
    #: metadataStatement.description of the model; "" when mdsd found no entry.
    model: str
    #: "DEVICE_BOUND" or "SYNCED" (from the BE flag).
    credential_kind: str
    #: "metadata", "operator_anchor" or "untrusted": store it with the credential.
    attestation_trust: str
    #: {"aaguid": ...} or {"key_identifier": ...}: store it for CheckCredentials; None unless
    #: trusted.
    metadata_key: Optional[Dict[str, str]]
    #: Why not trusted / not allowed: mdsd's reason codes, then the policy's failure codes
    #: (per profile as "profile:CODE" when it refused).
    reasons: List[str]


def verify_registration(
    mdsd: Client, *, credential: Union[str, Dict[str, Any], RegistrationCredential],
    expected_challenge: bytes, expected_origin: Union[str, List[str]], expected_rp_id: str,
    require_user_verification: bool = False, user_groups: Sequence[str] = (),
    profile: str = "", require_trusted: bool = False,
    pem_root_certs_bytes_by_fmt: Optional[Mapping[Any, List[bytes]]] = None,
    timeout: Optional[float] = None) -> Registration:
    """Verifies with py_webauthn (raises InvalidRegistrationResponse), then with mdsd (raises
    MdsdError), cross-checks the two and decides."""
    if isinstance(credential, (str, dict)):
        credential = parse_registration_credential_json(credential)
    verified = verify_registration_response(
        credential=credential, expected_challenge=expected_challenge,
        expected_rp_id=expected_rp_id, expected_origin=expected_origin,
        require_user_verification=require_user_verification,
        pem_root_certs_bytes_by_fmt=pem_root_certs_bytes_by_fmt)
    origins = [expected_origin] if isinstance(expected_origin, str) else list(expected_origin)
    answer = mdsd.verify_registration(
        credential.response.attestation_object, credential.response.client_data_json,
        rp_id=expected_rp_id, origins=origins, challenge=expected_challenge,
        require_user_verification=require_user_verification, user_groups=user_groups,
        profile=profile, timeout=timeout)
    # The same bytes must read the same way in both verifiers.
    if not answer.statement_valid:
        codes = ", ".join(r.code for r in answer.reasons)
        raise Disagreement(f"py_webauthn accepted the statement, mdsd did not ({codes})")
    if answer.credential_id != verified.credential_id:
        raise Disagreement("credential IDs differ between py_webauthn and mdsd")
    if answer.credential_public_key != verified.credential_public_key:
        raise Disagreement("credential public keys differ between py_webauthn and mdsd")

    reasons = [r.code for r in answer.reasons]
    if answer.HasField("policy"):
        allowed = answer.policy.allowed
        reasons += [f.code for f in answer.policy.failures]
        if not allowed:
            for outcome in answer.policy.outcomes:
                reasons += [f"{outcome.profile}:{f.code}" for f in outcome.failures]
    else:
        allowed = answer.trusted or not require_trusted
    key = answer.provenance.WhichOneof("metadata_key")
    return Registration(
        verified=verified, mdsd=answer, allowed=allowed, trusted=answer.trusted,
        model=answer.authenticator.description if answer.HasField("authenticator") else "",
        credential_kind=pb.CredentialKind.Name(answer.credential_kind),
        attestation_trust=answer.attestation_trust,
        metadata_key={key: getattr(answer.provenance, key)} if key else None,
        reasons=reasons)
