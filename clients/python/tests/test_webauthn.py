"""The py_webauthn drop-in end to end: py_webauthn verifies the ceremony of the W3C packed
vector, mdsd (the real daemon) adds trust, model, kind and the passkey policy decision."""

import base64

import pytest
from webauthn.helpers.exceptions import InvalidRegistrationResponse

from mdsd_client import Client
from mdsd_client.webauthn import Disagreement, verify_registration


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def credential_json(v, client_data_json=None):
    """The RegistrationResponseJSON a browser would post (credential ID from authData)."""
    from webauthn.helpers import parse_attestation_object
    att = parse_attestation_object(b64url(v["attestationObject_b64url"]))
    cred_id = att.auth_data.attested_credential_data.credential_id
    raw_id = base64.urlsafe_b64encode(cred_id).rstrip(b"=").decode()
    return {"id": raw_id, "rawId": raw_id, "type": "public-key",
            "response": {"attestationObject": v["attestationObject_b64url"],
                         "clientDataJSON": client_data_json or v["clientDataJSON_b64url"]}}


def run(mdsd, v, **kw):
    return verify_registration(
        mdsd, credential=credential_json(v), expected_challenge=b64url(v["challenge_b64url"]),
        expected_origin=v["origin"], expected_rp_id=v["rpId"], **kw)


def test_staff_may_register_the_synced_w3c_passkey(daemon, vectors, facts):
    with Client(daemon.target) as mdsd:
        reg = run(mdsd, vectors["packed"], user_groups=["staff"])
    assert reg.verified.fmt == "packed"                     # py_webauthn's answer
    assert reg.trusted and reg.attestation_trust == "metadata"
    assert reg.model == "W3C test authenticator"
    assert reg.credential_kind == "SYNCED"
    assert reg.metadata_key == {"aaguid": facts["w3c_aaguid"]}
    assert reg.allowed and reg.reasons == []


def test_admins_need_a_device_bound_passkey(daemon, vectors):
    with Client(daemon.target) as mdsd:
        reg = run(mdsd, vectors["packed"], user_groups=["admins"])
    assert reg.trusted and not reg.allowed
    assert "privileged:PASSKEY_TYPE_NOT_ALLOWED" in reg.reasons, reg.reasons


def test_an_unattested_passkey_is_valid_but_untrusted(daemon, vectors):
    with Client(daemon.target) as mdsd:
        reg = run(mdsd, vectors["none"], user_groups=["staff"])
        strict = run(mdsd, vectors["none"], profile="privileged")
    assert reg.verified.fmt == "none" and not reg.trusted
    assert reg.attestation_trust == "untrusted" and reg.metadata_key is None
    assert reg.reasons and reg.allowed   # staff accept unattested passkeys
    assert not strict.allowed


def test_a_bad_ceremony_stops_at_py_webauthn(daemon, vectors):
    v = vectors["packed"]
    with Client(daemon.target) as mdsd, pytest.raises(InvalidRegistrationResponse):
        verify_registration(mdsd, credential=credential_json(v), expected_challenge=b"other",
                            expected_origin=v["origin"], expected_rp_id=v["rpId"])


def test_a_disagreement_is_raised(daemon, vectors):
    """mdsd judging different bytes than py_webauthn (here: a stub that swaps the credential
    ID) must never yield a registration."""

    class Swapped:
        def __init__(self, inner):
            self.inner = inner

        def verify_registration(self, *a, **kw):
            answer = self.inner.verify_registration(*a, **kw)
            answer.credential_id = b"\x00" + answer.credential_id
            return answer

    with Client(daemon.target) as mdsd, pytest.raises(Disagreement):
        run(Swapped(mdsd), vectors["packed"])
