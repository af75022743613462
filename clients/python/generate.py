#!/usr/bin/env python3
"""Regenerates src/mdsd_client/_proto/ from ../../proto/mdsd/v1/mdsd.proto with grpcio-tools.

The generated modules are checked in, so `pip install ./clients/python` needs no protoc and no
grpcio-tools; tests/test_generated.py fails when they drift from the proto. Run after changing
the proto (grpcio-tools pinned in requirements-dev.txt):

    python3 clients/python/generate.py
"""

import os
import re
import shutil
import sys
import tempfile

from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.join(HERE, "..", "..", "proto")
OUT = os.path.join(HERE, "src", "mdsd_client", "_proto")
FILES = ("mdsd_pb2.py", "mdsd_pb2.pyi", "mdsd_pb2_grpc.py")


def generate(out_dir):
    """Writes the three modules into out_dir (flat, with package-relative imports)."""
    with tempfile.TemporaryDirectory() as tmp:
        well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        rc = protoc.main([
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            "mdsd/v1/mdsd.proto",
        ])
        if rc != 0:
            raise SystemExit(f"protoc failed with {rc}")
        os.makedirs(out_dir, exist_ok=True)
        for name in FILES:
            with open(os.path.join(tmp, "mdsd", "v1", name), encoding="utf-8") as f:
                text = f.read()
            # The grpc module imports the messages as a top-level `mdsd.v1` package; inside
            # mdsd_client they are a sibling module.
            text = re.sub(r"^from mdsd\.v1 import mdsd_pb2 as", "from . import mdsd_pb2 as", text,
                          flags=re.M)
            with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
                f.write(text)


if __name__ == "__main__":
    generate(OUT)
    sys.exit(0)
