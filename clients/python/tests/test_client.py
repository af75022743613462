"""The Python client against the real daemon: answers in the proto3 JSON shape, errors with
their reason codes and google.rpc details, sync and asyncio, TCP, unix: and mTLS."""

import base64
import filecmp
import json
import os
import subprocess
import sys

import grpc
import pytest

from conftest import MDSD
from mdsd_client import AsyncClient, Client, MdsdError, Tls, pb, to_json


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def registration(v, **overrides):
    args = dict(rp_id=v["rpId"], origins=[v["origin"]], challenge=b64url(v["challenge_b64url"]))
    args.update(overrides)
    return (b64url(v["attestationObject_b64url"]), b64url(v["clientDataJSON_b64url"])), args


def test_verify_registration_accepted_in_the_proto3_json_shape(daemon, vectors, facts):
    (ao, cd), checks = registration(vectors["packed"])
    with Client(daemon.target) as mdsd:
        answer = mdsd.verify_registration(ao, cd, user_groups=["staff"], **checks)
    assert answer.verdict == pb.ACCEPTED, answer.reasons
    j = to_json(answer)
    assert j["verdict"] == "ACCEPTED"
    assert j["credentialKind"] == "SYNCED"  # the W3C vector is backup eligible
    assert j["metadataNo"] == facts["blob_no"]          # uint64: a string
    assert j["aaguid"] == facts["w3c_aaguid"]
    assert j["attestationTrust"] == "metadata"
    assert j["authenticator"]["description"] == "W3C test authenticator"
    assert j["provenance"]["aaguid"] == facts["w3c_aaguid"]
    assert j["policy"]["allowed"] is True
    # bytes: standard base64 with padding; fields without presence printed at their default.
    assert base64.b64decode(j["credentialId"]) == answer.credential_id
    assert j["metadataStale"] is False and j["reasons"] == [] and j["kindConflict"] == ""
    assert j["credentialAlg"] == "-7"                     # proto3 optional int64, set


def test_cli_json_is_the_same_shape(daemon, vectors, testbed):
    """`mdsd attestation verify --json` on the testbed's BLOB prints what the daemon answers."""
    v = vectors["packed"]
    (ao, cd), checks = registration(v)
    with Client(daemon.target) as mdsd:
        served = to_json(mdsd.verify_registration(ao, cd, **checks))
    out = subprocess.run(
        [MDSD, "attestation", "verify", "--json",
         "--attestation-object", v["attestationObject_b64url"],
         "--client-data-json", v["clientDataJSON_b64url"], "--rp-id", v["rpId"],
         "--origin", v["origin"], "--challenge", v["challenge_b64url"],
         "--blob", os.path.join(testbed, "blob.jwt"),
         "--blob-root", os.path.join(testbed, "mds-root.pem"),
         "--blob-crl", os.path.join(testbed, "mds-root.crl"),
         "--blob-crl", os.path.join(testbed, "mds-ca.crl")],
        check=True, capture_output=True, text=True)
    printed = json.loads(out.stdout)
    served.pop("policy")  # the CLI has no passkey profiles
    assert printed == served


def test_rejected_is_an_answer_with_reason_codes(daemon, vectors):
    (ao, cd), checks = registration(vectors["packed"], challenge=b"\x00\x00\x00")
    with Client(daemon.target) as mdsd:
        answer = mdsd.verify_registration(ao, cd, **checks)
    j = to_json(answer)
    assert j["verdict"] == "REJECTED"
    assert "CEREMONY_MISMATCH" in [r["code"] for r in j["reasons"]]


def test_invalid_argument_carries_reason_and_bad_request(daemon):
    with Client(daemon.target) as mdsd, pytest.raises(MdsdError) as caught:
        mdsd.verify_registration(b"", b"{}")
    e = caught.value
    assert e.code == grpc.StatusCode.INVALID_ARGUMENT and e.code_name == "INVALID_ARGUMENT"
    assert e.reason == "INVALID_ARGUMENT" and e.domain == "mdsd.dev"
    assert e.metadata["field"] == "attestation_object"
    assert [f for f, _ in e.field_violations] == ["attestation_object"]
    j = e.to_json()
    assert j["code"] == 3
    types = [d["@type"] for d in j["details"]]
    assert "type.googleapis.com/google.rpc.ErrorInfo" in types
    assert "type.googleapis.com/google.rpc.BadRequest" in types
    assert str(e).startswith("INVALID_ARGUMENT [INVALID_ARGUMENT]: attestation_object")


def test_lookups_and_not_found(daemon, facts):
    with Client(daemon.target) as mdsd:
        found = mdsd.get_authenticator(aaguid=facts["revoked_aaguid"])
        assert to_json(found)["authenticator"]["currentStatus"] == "REVOKED"
        listed = mdsd.list_authenticators(statuses=["REVOKED"])
        assert [a.aaguid for a in listed.authenticators] == [facts["revoked_aaguid"]]
        with pytest.raises(MdsdError) as caught:
            mdsd.get_authenticator(aaguid="00000000-0000-4000-8000-00000000beef")
        assert caught.value.code_name == "NOT_FOUND" and caught.value.reason == "NOT_FOUND"
        with pytest.raises(ValueError):
            mdsd.get_authenticator()
        info = to_json(mdsd.get_metadata_info())
        assert info["loaded"] is True and info["no"] == facts["blob_no"]
        assert info["verifiedAt"].endswith("Z")             # Timestamp: RFC 3339


def test_check_credentials_and_evaluate_authentication(daemon, facts):
    with Client(daemon.target) as mdsd:
        checked = mdsd.check_credentials([
            {"aaguid": facts["w3c_aaguid"], "credentialId": "AQID"},
            pb.RegisteredCredential(aaguid=facts["revoked_aaguid"]),
        ])
        j = to_json(checked)
        assert j["results"][0]["trusted"] is True
        assert j["results"][0]["credentialId"] == "AQID"
        assert "REVOKED" in [r["code"] for r in j["results"][1]["reasons"]]
        # Synced (BE 0x08) for an admin: the privileged profile wants device-bound.
        decision = mdsd.evaluate_authentication(aaguid=facts["w3c_aaguid"], flags=0x01 | 0x08,
                                                registration_trust="metadata",
                                                user_groups=["admins"])
        assert decision.policy.allowed is False


async def test_async_client(daemon, vectors):
    (ao, cd), checks = registration(vectors["packed"])
    async with AsyncClient(daemon.target) as mdsd:
        answer = await mdsd.verify_registration(ao, cd, **checks)
        assert to_json(answer)["verdict"] == "ACCEPTED"
        with pytest.raises(MdsdError) as caught:
            await mdsd.verify_registration(b"", b"")
        assert caught.value.reason == "INVALID_ARGUMENT"
        assert caught.value.field_violations


def test_unix_socket(unix_daemon, vectors):
    (ao, cd), checks = registration(vectors["none"])
    with Client(unix_daemon.target) as mdsd:
        j = to_json(mdsd.verify_registration(ao, cd, **checks))
    assert j["format"] == "none" and j["verdict"] == "REJECTED" and j["statementValid"] is True


def test_mtls(mtls_daemon, testbed):
    with Client(mtls_daemon.target, tls=mtls_daemon.tls) as mdsd:
        assert mdsd.get_metadata_info().loaded
    anonymous = Tls(ca_file=mtls_daemon.tls.ca_file, server_name="localhost")
    with Client(mtls_daemon.target, tls=anonymous, timeout=3) as mdsd:
        with pytest.raises(MdsdError) as caught:
            mdsd.get_metadata_info()
    assert caught.value.code_name == "UNAVAILABLE"
    with pytest.raises(ValueError):
        Tls(cert_file=os.path.join(testbed, "tls", "client.pem")).credentials()


def test_generated_stubs_match_the_proto(tmp_path):
    """src/mdsd_client/_proto is what generate.py makes from proto/ today."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, here)
    try:
        import generate
    finally:
        sys.path.pop(0)
    generate.generate(str(tmp_path))
    for name in generate.FILES:
        assert filecmp.cmp(tmp_path / name, os.path.join(here, "src", "mdsd_client", "_proto",
                                                         name), shallow=False), \
            f"{name} is stale: run python3 clients/python/generate.py"


def test_watch_status_changes_streams_errors_as_mdsd_errors(daemon, facts):
    """A replay from a BLOB no diff is held for fails on the stream with DIFF_NOT_RETAINED;
    a live subscription ends at its deadline."""
    with Client(daemon.target) as mdsd:
        with pytest.raises(MdsdError) as caught:
            list(mdsd.watch_status_changes(since_no=1, timeout=5))
        assert caught.value.code_name == "FAILED_PRECONDITION"
        assert caught.value.reason == "DIFF_NOT_RETAINED"
        assert caught.value.metadata["since_no"] == "1"
        # since_sequence reaches the daemon: with since_no too it is refused by name.
        with pytest.raises(MdsdError) as caught:
            list(mdsd.watch_status_changes(since_no=1, since_sequence=0, timeout=5))
        assert caught.value.code_name == "INVALID_ARGUMENT"
        assert caught.value.field_violations[0][0] == "since_sequence"
        with pytest.raises(MdsdError) as caught:
            list(mdsd.watch_status_changes(timeout=0.5))
        assert caught.value.code_name == "DEADLINE_EXCEEDED"


async def test_async_watch_status_changes(daemon):
    async with AsyncClient(daemon.target) as mdsd:
        with pytest.raises(MdsdError) as caught:
            async for _ in mdsd.watch_status_changes(since_no=1, timeout=5):
                pass
        assert caught.value.reason == "DIFF_NOT_RETAINED"
