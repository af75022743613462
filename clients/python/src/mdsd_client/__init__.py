"""mdsd client: verified FIDO metadata and WebAuthn attestation verification for relying
parties, over gRPC. See clients/python/README.md and docs/integrate.md.

    from mdsd_client import Client, to_json
    with Client("127.0.0.1:50051") as mdsd:
        answer = mdsd.verify_registration(attestation_object, client_data_json,
                                          rp_id="example.org", origins=["https://example.org"],
                                          challenge=challenge)
        print(to_json(answer)["verdict"])
"""

from ._client import DEFAULT_TARGET, DEFAULT_TIMEOUT, AsyncClient, Client, Tls, to_json
from ._errors import MdsdError
from ._proto import mdsd_pb2 as pb

__all__ = [
    "AsyncClient", "Client", "DEFAULT_TARGET", "DEFAULT_TIMEOUT", "MdsdError", "Tls", "pb",
    "to_json",
]
__version__ = "0.1.0"
