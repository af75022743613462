#!/usr/bin/env python3
"""Calls mdsd's VerifyRegistration from Python (grpcio), with stubs generated from the proto
in this repository at start-up.

    pip install -r examples/python/requirements.txt
    python3 examples/python/verify_registration.py --target 127.0.0.1:50051 \
        --attestation-object <base64url> --client-data-json <base64url> \
        --rp-id example.org --origin https://example.org --challenge <base64url>

Prints the response as JSON (proto field names) and exits 0 when the verdict is ACCEPTED,
1 when REJECTED, 2 on an RPC error (the gRPC status and google.rpc details are printed).
"""

import argparse
import atexit
import base64
import json
import os
import shutil
import sys
import tempfile

import grpc
from grpc_tools import protoc
from google.protobuf import json_format

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_ROOT = os.path.join(REPO, "proto")


def load_stubs():
    """Generates mdsd/v1/mdsd_pb2*.py from proto/mdsd/v1/mdsd.proto into a temp dir."""
    out = tempfile.mkdtemp(prefix="mdsd-py-")
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    rc = protoc.main([
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        "mdsd/v1/mdsd.proto",
    ])
    if rc != 0:
        sys.exit(f"protoc failed with {rc}")
    sys.path.insert(0, out)
    from mdsd.v1 import mdsd_pb2, mdsd_pb2_grpc  # noqa: E402
    return mdsd_pb2, mdsd_pb2_grpc


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default="127.0.0.1:50051", help="HOST:PORT or unix:PATH")
    p.add_argument("--attestation-object", required=True, help="base64url")
    p.add_argument("--client-data-json", required=True, help="base64url")
    p.add_argument("--rp-id", default="")
    p.add_argument("--origin", action="append", default=[])
    p.add_argument("--challenge", default="", help="base64url")
    p.add_argument("--require-user-verification", action="store_true")
    p.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()

    pb2, pb2_grpc = load_stubs()
    request = pb2.VerifyRegistrationRequest(
        attestation_object=b64url(args.attestation_object),
        client_data_json=b64url(args.client_data_json),
        rp_id=args.rp_id,
        origins=args.origin,
        challenge=b64url(args.challenge) if args.challenge else b"",
    )
    if args.require_user_verification:
        request.require_user_verification = True

    with grpc.insecure_channel(args.target) as channel:
        stub = pb2_grpc.AttestationServiceStub(channel)
        try:
            response = stub.VerifyRegistration(request, timeout=args.timeout)
        except grpc.RpcError as e:
            print(json.dumps({"code": e.code().name, "details": e.details()}), file=sys.stderr)
            return 2
    print(json.dumps(json_format.MessageToDict(response, preserving_proto_field_name=True), indent=2))
    return 0 if response.verdict == pb2.ACCEPTED else 1


if __name__ == "__main__":
    sys.exit(main())
