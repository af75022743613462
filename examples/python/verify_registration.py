#!/usr/bin/env python3
"""Calls mdsd's VerifyRegistration with the Python client package (clients/python).

    pip install ./clients/python
    python3 examples/python/verify_registration.py --target 127.0.0.1:50051 \\
        --attestation-object <base64url> --client-data-json <base64url> \\
        --rp-id example.org --origin https://example.org --challenge <base64url>

Prints the response in the proto3 JSON mapping (the shape of `mdsd attestation verify --json`
and grpcurl) and exits 0 when the verdict is ACCEPTED, 1 when REJECTED, 2 on an RPC error:
then stderr has one line with the gRPC code, the ErrorInfo reason and the BadRequest field
violations, and the google.rpc.Status with every detail as JSON.
"""

import argparse
import base64
import binascii
import json
import sys

from mdsd_client import Client, MdsdError, Tls, pb, to_json


def b64url(text, flag):
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise SystemExit(f"error: {flag} is not base64url: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default="127.0.0.1:50051", help="HOST:PORT or unix:PATH")
    p.add_argument("--attestation-object", required=True, help="base64url")
    p.add_argument("--client-data-json", required=True, help="base64url")
    p.add_argument("--rp-id", default="", help="check authenticatorData.rpIdHash")
    p.add_argument("--origin", action="append", default=[], help="acceptable origin (repeat)")
    p.add_argument("--challenge", default="", help="the challenge issued, base64url")
    p.add_argument("--require-user-verification", action="store_true")
    p.add_argument("--user-group", action="append", default=[],
                   help="the user's group, for the passkey profiles (repeat)")
    p.add_argument("--profile", default="", help="judge against this one passkey profile")
    p.add_argument("--ca", help="TLS: PEM roots for the server certificate")
    p.add_argument("--cert", help="mTLS: client certificate (PEM)")
    p.add_argument("--key", help="mTLS: client key (PEM)")
    p.add_argument("--server-name", help="TLS: name to check in the server certificate")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    args = p.parse_args()

    tls = None
    if args.ca or args.cert or args.key or args.server_name:
        tls = Tls(ca_file=args.ca, cert_file=args.cert, key_file=args.key,
                  server_name=args.server_name)
    checks = dict(rp_id=args.rp_id, origins=args.origin, user_groups=args.user_group,
                  profile=args.profile)
    if args.challenge:
        checks["challenge"] = b64url(args.challenge, "--challenge")
    if args.require_user_verification:
        checks["require_user_verification"] = True
    try:
        with Client(args.target, tls=tls, timeout=args.timeout) as mdsd:
            response = mdsd.verify_registration(
                b64url(args.attestation_object, "--attestation-object"),
                b64url(args.client_data_json, "--client-data-json"), **checks)
    except MdsdError as e:
        fields = "".join(f" field={f!r} ({d})" for f, d in e.field_violations)
        print(f"error: {e.code_name} reason={e.reason or '-'}{fields}: {e.message}",
              file=sys.stderr)
        print(json.dumps(e.to_json(), indent=2), file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(to_json(response), indent=2))
    return 0 if response.verdict == pb.ACCEPTED else 1


if __name__ == "__main__":
    sys.exit(main())
