#!/usr/bin/env python3
"""Writes lib/mdsd.binpb: the encoded FileDescriptorSet the Node client loads at run time —
proto/mdsd/v1/mdsd.proto (compiled by grpcio-tools, with google/protobuf/timestamp.proto) and
the google.rpc.Status / error_details.proto descriptors of googleapis-common-protos, so that
error details decode. Run after changing the proto, then `npm run generate` (the .d.ts):

    python3 clients/node/scripts/descriptors.py [OUT]

`scripts/ci/clients.sh` regenerates it and fails when the checked-in file differs.
"""

import os
import sys
import tempfile

from google.protobuf import any_pb2, descriptor_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "..", "proto")


def json_name(name):
    """protoc's ToJsonName: drop each underscore and capitalize the letter after it."""
    out, upper = [], False
    for ch in name:
        if ch == "_":
            upper = True
        else:
            out.append(ch.upper() if upper else ch)
            upper = False
    return "".join(out)


def fill_json_names(messages):
    """The descriptors embedded in *_pb2 modules carry no json_name; generic JSON printers
    (@bufbuild/protobuf) need it."""
    for m in messages:
        for f in m.field:
            if not f.HasField("json_name"):
                f.json_name = json_name(f.name)
        fill_json_names(m.nested_type)


def build():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mdsd.binpb")
        well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        rc = protoc.main(["grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{well_known}",
                          "--include_imports", f"--descriptor_set_out={out}",
                          "mdsd/v1/mdsd.proto"])
        if rc != 0:
            raise SystemExit(f"protoc failed with {rc}")
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    have = {f.name for f in fds.file}
    # Dependencies first: any/duration before error_details and status.
    for module in (any_pb2, duration_pb2, error_details_pb2, status_pb2):
        proto = descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)
        if proto.name not in have:
            fds.file.append(proto)
            have.add(proto.name)
    for f in fds.file:
        fill_json_names(f.message_type)
    return fds.SerializeToString(deterministic=True)


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "lib", "mdsd.binpb")
    with open(target, "wb") as f:
        f.write(build())
