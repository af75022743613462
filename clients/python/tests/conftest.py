"""Starts the real mdsd binary for the tests, offline, on data written by the repository's
`client_testbed` example (a test MDS PKI, a BLOB it signed, configs, TLS material).

Binaries: $MDSD_BIN (default <repo>/target/debug/mdsd) and $MDSD_TESTBED (default
<repo>/target/debug/examples/client_testbed); `cargo test` (or `cargo build --bin mdsd
--example client_testbed`) makes both.
"""

import json
import os
import socket
import subprocess
import time

import pytest

from mdsd_client import Client, MdsdError, Tls

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _binary(var, rel):
    path = os.environ.get(var) or os.path.join(REPO, rel)
    if not os.path.exists(path):
        pytest.exit(f"{path} is missing: run `cargo build --bin mdsd --example client_testbed` "
                    f"in {REPO} (or set {var})", returncode=2)
    return path


MDSD = os.environ.get("MDSD_BIN") or os.path.join(REPO, "target/debug/mdsd")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One mdsd process; `target` to dial, `tls` for the mTLS one."""

    def __init__(self, testbed, name, config, listen, target, tls=None):
        self.testbed, self.target, self.tls = testbed, target, tls
        self.log = open(os.path.join(testbed, f"mdsd-{name}.log"), "wb")
        self.proc = subprocess.Popen(
            [_binary("MDSD_BIN", "target/debug/mdsd"), "serve", "--config", config,
             "--listen", listen, "--state-dir", os.path.join(testbed, f"state-{name}")],
            stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_loaded()

    def _wait_loaded(self):
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mdsd exited with {self.proc.returncode}: {self.read_log()}")
            try:
                with Client(self.target, tls=self.tls, timeout=2) as c:
                    if c.get_metadata_info().loaded:
                        return
            except MdsdError as e:
                last = e
            time.sleep(0.1)
        raise RuntimeError(f"mdsd never loaded its BLOB ({last}): {self.read_log()}")

    def read_log(self):
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def testbed(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("testbed"))
    subprocess.run([_binary("MDSD_TESTBED", "target/debug/examples/client_testbed"), d],
                   check=True)
    return d


@pytest.fixture(scope="session")
def facts(testbed):
    with open(os.path.join(testbed, "testbed.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def vectors(testbed):
    with open(os.path.join(testbed, "vectors.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def daemon(testbed):
    port = _free_port()
    d = Daemon(testbed, "tcp", os.path.join(testbed, "config.toml"), f"127.0.0.1:{port}",
               f"127.0.0.1:{port}")
    yield d
    d.stop()


@pytest.fixture(scope="session")
def unix_daemon(testbed):
    path = os.path.join(testbed, "mdsd.sock")
    d = Daemon(testbed, "unix", os.path.join(testbed, "config.toml"), f"unix:{path}", f"unix:{path}")
    yield d
    d.stop()


@pytest.fixture(scope="session")
def mtls_daemon(testbed):
    port = _free_port()
    tls = Tls(ca_file=os.path.join(testbed, "tls", "server-ca.pem"),
              cert_file=os.path.join(testbed, "tls", "client.pem"),
              key_file=os.path.join(testbed, "tls", "client.key"), server_name="localhost")
    d = Daemon(testbed, "mtls", os.path.join(testbed, "config-mtls.toml"), f"127.0.0.1:{port}",
               f"127.0.0.1:{port}", tls=tls)
    yield d
    d.stop()
