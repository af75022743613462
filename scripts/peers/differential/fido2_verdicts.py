#!/usr/bin/env python3
"""python-fido2's side of the differential run (scripts/peers/differential/run.sh): one JSON
verdict per case, the same shape as examples/differential.rs and swa_verdicts.mjs.

    fido2_verdicts.py --cases cases.json --blob B.jwt --root ROOT.der

- Metadata: fido2.mds3.parse_blob(blob, root) on the BLOB (RS256; python-fido2 checks the
  signature and x5c[0] <- x5c[1] <- root, no validity dates, no CRLs), then
  MdsAttestationVerifier(payload) with its defaults (REVOKED entries left out, the
  ATTESTATION_KEY_COMPROMISE filter on).
- statement_valid: Fido2Server.register_complete (the ceremony: type, origin equal to the
  case's origin, challenge, RP ID hash, UP; UV not required) with attestation "direct" and, as
  its attestation check, the format's own verifier only (Attestation.for_type(fmt)().verify:
  the statement, no trust).
- trusted: statement_valid and MdsAttestationVerifier.verify_attestation passes (the entry is
  looked up by the authData AAGUID when it is not zero, else by the key identifier of any x5c
  certificate; the chain x5c + [root with the issuer's subject] is checked in order, signatures
  only). python-fido2 trusts nothing but MDS roots: by_metadata == trusted.
- entry: MdsAttestationVerifier.find_entry (the entry a passing verification used); when
  verification fails, the entry it looked up is reported with verified: false.
python-fido2 has no clock: the case's valid_at is not used.
"""

import argparse
import base64
import hashlib
import json
import sys
from importlib.metadata import version as pkg_version

from fido2.attestation import Attestation
from fido2.mds3 import MdsAttestationVerifier, MetadataBlobPayload, parse_blob
from fido2.server import Fido2Server
from fido2.webauthn import AttestationObject

VERSION = pkg_version("fido2")


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def read_root(path):
    data = open(path, "rb").read()
    if data.startswith(b"-----BEGIN"):
        body = b"".join(l for l in data.splitlines() if l and not l.startswith(b"-----"))
        data = base64.b64decode(body)
    return data


def err(e):
    return f"{type(e).__name__}: {e}".splitlines()[0][:300]


def describe(entry, verified):
    if entry is None:
        return None
    ms = entry.metadata_statement
    return {
        "description": ms.description if ms else None,
        "aaguid": str(entry.aaguid) if entry.aaguid else None,
        "verified": verified,
    }


def statement_only(attestation_object, client_data_hash):
    """The format's verification procedure alone (no trust): Fido2Server's attestation hook."""
    att = Attestation.for_type(attestation_object.fmt)()
    att.verify(attestation_object.att_stmt, attestation_object.auth_data, client_data_hash)


def judge(case, verifier):
    out = {"tool": "python-fido2", "version": VERSION, "id": case["id"], "format": case["format"]}
    details = []
    ao_bytes = b64url(case["attestationObject_b64url"])
    cdj = b64url(case["clientDataJSON_b64url"])
    cdh = hashlib.sha256(cdj).digest()
    try:
        ao = AttestationObject(ao_bytes)
    except Exception as e:  # noqa: BLE001 - any failure is the verdict
        details.append(f"AttestationObject: {err(e)}")
        ao = None

    # Ceremony + statement.
    statement_valid = False
    if ao is not None:
        server = Fido2Server(
            {"id": case["rpId"], "name": "differential"},
            attestation="direct",
            verify_origin=lambda o: o == case["origin"],
            verify_attestation=statement_only,
        )
        cred_id = ao.auth_data.credential_data.credential_id if ao.auth_data.credential_data else b"\0"
        response = {
            "id": base64.urlsafe_b64encode(cred_id).rstrip(b"=").decode(),
            "rawId": base64.urlsafe_b64encode(cred_id).rstrip(b"=").decode(),
            "type": "public-key",
            "response": {
                "clientDataJSON": case["clientDataJSON_b64url"],
                "attestationObject": case["attestationObject_b64url"],
            },
        }
        state = {"challenge": case["challenge_b64url"], "user_verification": "discouraged"}
        try:
            server.register_complete(state, response)
            statement_valid = True
        except Exception as e:  # noqa: BLE001
            details.append(f"register_complete: {err(e)}")

    # Trust against MDS.
    trusted, entry = False, None
    if ao is not None:
        try:
            verifier.verify_attestation(ao, cdh)
            trusted = statement_valid
            entry = describe(verifier.find_entry(ao, cdh), True)
        except Exception as e:  # noqa: BLE001
            details.append(f"verify_attestation: {err(e)}")
            # What it looked up (unverified): the AAGUID when not zero, else any x5c certificate.
            try:
                cd = ao.auth_data.credential_data
                if cd and cd.aaguid:
                    looked = verifier.find_entry_by_aaguid(cd.aaguid)
                else:
                    looked = verifier.find_entry_by_chain(ao.att_stmt.get("x5c") or [])
                entry = describe(looked, False)
            except Exception as e2:  # noqa: BLE001
                details.append(f"lookup: {err(e2)}")

    ad = ao.auth_data if ao is not None else None
    cd = ad.credential_data if ad is not None else None
    res_type = None
    if ao is not None:
        try:
            res_type = (
                Attestation.for_type(ao.fmt)().verify(ao.att_stmt, ao.auth_data, cdh).attestation_type.name.lower()
            )
        except Exception:  # noqa: BLE001 - reported through statement_valid
            pass
    out.update(
        statement_valid=statement_valid,
        trusted=trusted,
        by_metadata=trusted,
        entry=entry,
        aaguid=str(cd.aaguid) if cd else None,
        attestation_type=res_type,
        flags=(
            {
                "up": ad.is_user_present(),
                "uv": ad.is_user_verified(),
                "be": ad.is_backup_eligible(),
                "bs": ad.is_backed_up(),
                "at": ad.is_attested(),
                "ed": ad.has_extension_data(),
            }
            if ad is not None
            else None
        ),
        sign_count=ad.counter if ad is not None else None,
        reasons=[],
        detail="; ".join(details),
    )
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", required=True)
    p.add_argument("--blob", required=True)
    p.add_argument("--root", required=True, help="the BLOB's trust root, DER or PEM")
    a = p.parse_args()
    blob = open(a.blob, "rb").read().strip()
    try:
        payload = parse_blob(blob, read_root(a.root))
    except Exception as e:  # noqa: BLE001
        # python-fido2 feeds an ES256 JWS signature (raw r||s) to a DER verifier and so refuses
        # every ES256 BLOB (REFERENCE.md §5); the 2024-12 BLOB is RS256 and verifies. For another
        # BLOB, judge against its payload anyway (mdsd has verified it) and say so.
        print(f"warning: parse_blob refused the BLOB ({err(e)}); using its payload unverified", file=sys.stderr)
        part = blob.split(b".")[1]
        payload = MetadataBlobPayload.from_dict(json.loads(b64url(part.decode())))
    verifier = MdsAttestationVerifier(payload)
    for case in json.load(open(a.cases)):
        print(json.dumps(judge(case, verifier)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
