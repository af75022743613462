"""Client and AsyncClient: one method per mdsd RPC, the same names, arguments and defaults as
the Node and Rust clients (docs/integrate.md, "Client packages")."""

from __future__ import annotations

import dataclasses
from typing import (Any, AsyncIterator, Dict, Iterable, Iterator, List, Optional, Sequence,
                    Tuple, TypeVar, Union)

import grpc
import grpc.aio
from google.protobuf import json_format, message

from ._errors import MdsdError
from ._proto import mdsd_pb2 as pb
from ._proto import mdsd_pb2_grpc as pb_grpc

#: Where mdsd listens by default (docs/config.md `listen`).
DEFAULT_TARGET = "127.0.0.1:50051"
#: Per-call deadline in seconds unless a call says otherwise (the daemon's own default).
DEFAULT_TIMEOUT = 10.0

M = TypeVar("M", bound=message.Message)


def to_json(msg: message.Message) -> Dict[str, Any]:
    """A response (or any mdsd message) in the proto3 JSON mapping, the one shape every mdsd
    client, `mdsd attestation verify --json` and grpcurl print: lowerCamelCase names, enums by
    name ("DEVICE_BOUND"), bytes as base64, 64-bit integers as strings, fields at their default
    value printed (messages and unset `optional` fields are left out)."""
    return json_format.MessageToDict(msg, always_print_fields_with_no_presence=True)


@dataclasses.dataclass(frozen=True)
class Tls:
    """TLS for the channel. With only `ca_file` (or nothing: the system roots) the server is
    verified; `cert_file` + `key_file` add a client certificate (mTLS). `server_name` overrides
    the name checked in the server certificate (e.g. "localhost" when dialling an IP)."""

    ca_file: Optional[str] = None
    cert_file: Optional[str] = None
    key_file: Optional[str] = None
    server_name: Optional[str] = None

    def credentials(self) -> grpc.ChannelCredentials:
        def read(path: Optional[str]) -> Optional[bytes]:
            if path is None:
                return None
            with open(path, "rb") as f:
                return f.read()

        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("Tls: cert_file and key_file go together")
        return grpc.ssl_channel_credentials(
            root_certificates=read(self.ca_file),
            private_key=read(self.key_file),
            certificate_chain=read(self.cert_file),
        )

    def options(self) -> List[Tuple[str, Any]]:
        if self.server_name:
            return [("grpc.ssl_target_name_override", self.server_name)]
        return []


# ---- requests (shared by both clients) ---------------------------------------------------

def _verify_registration_request(
    attestation_object: bytes, client_data_json: bytes, *, rp_id: str = "",
    origins: Sequence[str] = (), challenge: bytes = b"", top_origins: Sequence[str] = (),
    require_user_verification: Optional[bool] = None,
    require_user_presence: Optional[bool] = None, user_groups: Sequence[str] = (),
    profile: str = "") -> pb.VerifyRegistrationRequest:
    request = pb.VerifyRegistrationRequest(
        attestation_object=attestation_object, client_data_json=client_data_json, rp_id=rp_id,
        origins=list(origins), challenge=challenge, top_origins=list(top_origins),
        user_groups=list(user_groups), profile=profile)
    if require_user_verification is not None:
        request.require_user_verification = require_user_verification
    if require_user_presence is not None:
        request.require_user_presence = require_user_presence
    return request


def _one_key(kind: str, **keys: str) -> Dict[str, str]:
    given = {k: v for k, v in keys.items() if v}
    if len(given) != 1:
        raise ValueError(f"{kind}: give exactly one of {', '.join(keys)}")
    return given


Credential = Union[pb.RegisteredCredential, Dict[str, Any]]


def _credential(c: Credential) -> pb.RegisteredCredential:
    if isinstance(c, pb.RegisteredCredential):
        return c
    return json_format.ParseDict(c, pb.RegisteredCredential())


class _Base:
    def __init__(self, target: str, tls: Optional[Tls], timeout: float,
                 options: Sequence[Tuple[str, Any]]) -> None:
        if target.startswith("unix:") and tls is not None:
            raise ValueError("TLS over a unix: socket is not supported by mdsd")
        self.target = target
        self.timeout = timeout
        self._tls = tls
        self._options = list(options) + (tls.options() if tls else [])
        # gRPC C-core sends the socket path as :authority for unix: targets, which is not a
        # valid authority; mdsd's HTTP/2 server (hyper) resets such streams.
        if target.startswith("unix:") and not any(k == "grpc.default_authority"
                                                  for k, _ in self._options):
            self._options.append(("grpc.default_authority", "localhost"))

    def _t(self, timeout: Optional[float]) -> float:
        return self.timeout if timeout is None else timeout


class Client(_Base):
    """Blocking client. `target` is HOST:PORT or unix:PATH. Every method raises MdsdError when
    the RPC fails; a REJECTED attestation is a normal response (verdict, reasons)."""

    def __init__(self, target: str = DEFAULT_TARGET, *, tls: Optional[Tls] = None,
                 timeout: float = DEFAULT_TIMEOUT,
                 options: Sequence[Tuple[str, Any]] = ()) -> None:
        super().__init__(target, tls, timeout, options)
        if tls is not None:
            self._channel = grpc.secure_channel(target, tls.credentials(), self._options)
        else:
            self._channel = grpc.insecure_channel(target, self._options)
        self.stub = pb_grpc.AttestationServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: Any, request: message.Message, timeout: Optional[float]) -> Any:
        try:
            return method(request, timeout=self._t(timeout))
        except grpc.RpcError as e:
            raise MdsdError.from_rpc_error(e) from None

    def verify_registration(self, attestation_object: bytes, client_data_json: bytes, *,
                            timeout: Optional[float] = None,
                            **checks: Any) -> pb.VerifyRegistrationResponse:
        """VerifyRegistration. Keyword checks: rp_id, origins, challenge (raw bytes),
        top_origins, require_user_verification, require_user_presence, user_groups, profile."""
        request = _verify_registration_request(attestation_object, client_data_json, **checks)
        return self._call(self.stub.VerifyRegistration, request, timeout)

    def validate_attestation_chain(self, x5c: Sequence[bytes], *, aaguid: str = "",
                                   key_identifier: str = "", timeout: Optional[float] = None
                                   ) -> pb.ValidateAttestationChainResponse:
        key = _one_key("validate_attestation_chain", aaguid=aaguid, key_identifier=key_identifier)
        request = pb.ValidateAttestationChainRequest(x5c=list(x5c), **key)
        return self._call(self.stub.ValidateAttestationChain, request, timeout)

    def get_authenticator(self, *, aaguid: str = "", key_identifier: str = "", aaid: str = "",
                          timeout: Optional[float] = None) -> pb.GetAuthenticatorResponse:
        key = _one_key("get_authenticator", aaguid=aaguid, key_identifier=key_identifier,
                       aaid=aaid)
        return self._call(self.stub.GetAuthenticator, pb.GetAuthenticatorRequest(**key), timeout)

    def list_authenticators(self, *, page_size: int = 0, page_token: str = "",
                            description_contains: str = "", statuses: Sequence[str] = (),
                            include_entry_json: bool = False, timeout: Optional[float] = None
                            ) -> pb.ListAuthenticatorsResponse:
        request = pb.ListAuthenticatorsRequest(
            page_size=page_size, page_token=page_token,
            description_contains=description_contains, statuses=list(statuses),
            include_entry_json=include_entry_json)
        return self._call(self.stub.ListAuthenticators, request, timeout)

    def get_metadata_info(self, *, timeout: Optional[float] = None
                          ) -> pb.GetMetadataInfoResponse:
        return self._call(self.stub.GetMetadataInfo, pb.GetMetadataInfoRequest(), timeout)

    def evaluate_authentication(self, *, aaguid: str = "", flags: int = 0,
                                registration_trust: str = "", user_groups: Sequence[str] = (),
                                profile: str = "", timeout: Optional[float] = None
                                ) -> pb.EvaluateAuthenticationResponse:
        request = pb.EvaluateAuthenticationRequest(
            aaguid=aaguid, flags=flags, registration_trust=registration_trust,
            user_groups=list(user_groups), profile=profile)
        return self._call(self.stub.EvaluateAuthentication, request, timeout)

    def check_credentials(self, credentials: Iterable[Credential], *,
                          user_groups: Sequence[str] = (), profile: str = "",
                          timeout: Optional[float] = None) -> pb.CheckCredentialsResponse:
        """CheckCredentials; each credential a RegisteredCredential or its proto3 JSON dict
        ({"aaguid": ..., "attestationSha256": [...], "registeredAt": "2026-01-01T00:00:00Z"})."""
        request = pb.CheckCredentialsRequest(
            credentials=[_credential(c) for c in credentials], user_groups=list(user_groups),
            profile=profile)
        return self._call(self.stub.CheckCredentials, request, timeout)

    def watch_status_changes(self, *, since_no: Optional[int] = None,
                             since_sequence: Optional[int] = None,
                             timeout: Optional[float] = None) -> Iterator[pb.StatusChangeEvent]:
        """WatchStatusChanges as an iterator of events; `timeout` bounds the whole stream
        (None: no deadline, unlike unary calls). Resume with `since_sequence` (the last
        event's `sequence`) or `since_no` (the last `metadata_no`), not both."""
        request = pb.WatchStatusChangesRequest()
        if since_no is not None:
            request.since_no = since_no
        if since_sequence is not None:
            request.since_sequence = since_sequence
        try:
            for event in self.stub.WatchStatusChanges(request, timeout=timeout):
                yield event
        except grpc.RpcError as e:
            raise MdsdError.from_rpc_error(e) from None


class AsyncClient(_Base):
    """The asyncio client (grpc.aio): the same methods as Client, awaited; use
    `async with AsyncClient(...) as c:`."""

    def __init__(self, target: str = DEFAULT_TARGET, *, tls: Optional[Tls] = None,
                 timeout: float = DEFAULT_TIMEOUT,
                 options: Sequence[Tuple[str, Any]] = ()) -> None:
        super().__init__(target, tls, timeout, options)
        if tls is not None:
            self._channel = grpc.aio.secure_channel(target, tls.credentials(), self._options)
        else:
            self._channel = grpc.aio.insecure_channel(target, self._options)
        self.stub = pb_grpc.AttestationServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, method: Any, request: message.Message,
                    timeout: Optional[float]) -> Any:
        try:
            return await method(request, timeout=self._t(timeout))
        except grpc.RpcError as e:
            raise MdsdError.from_rpc_error(e) from None

    async def verify_registration(self, attestation_object: bytes, client_data_json: bytes, *,
                                  timeout: Optional[float] = None,
                                  **checks: Any) -> pb.VerifyRegistrationResponse:
        request = _verify_registration_request(attestation_object, client_data_json, **checks)
        return await self._call(self.stub.VerifyRegistration, request, timeout)

    async def validate_attestation_chain(self, x5c: Sequence[bytes], *, aaguid: str = "",
                                         key_identifier: str = "",
                                         timeout: Optional[float] = None
                                         ) -> pb.ValidateAttestationChainResponse:
        key = _one_key("validate_attestation_chain", aaguid=aaguid, key_identifier=key_identifier)
        request = pb.ValidateAttestationChainRequest(x5c=list(x5c), **key)
        return await self._call(self.stub.ValidateAttestationChain, request, timeout)

    async def get_authenticator(self, *, aaguid: str = "", key_identifier: str = "",
                                aaid: str = "", timeout: Optional[float] = None
                                ) -> pb.GetAuthenticatorResponse:
        key = _one_key("get_authenticator", aaguid=aaguid, key_identifier=key_identifier,
                       aaid=aaid)
        return await self._call(self.stub.GetAuthenticator, pb.GetAuthenticatorRequest(**key),
                                timeout)

    async def list_authenticators(self, *, page_size: int = 0, page_token: str = "",
                                  description_contains: str = "", statuses: Sequence[str] = (),
                                  include_entry_json: bool = False,
                                  timeout: Optional[float] = None
                                  ) -> pb.ListAuthenticatorsResponse:
        request = pb.ListAuthenticatorsRequest(
            page_size=page_size, page_token=page_token,
            description_contains=description_contains, statuses=list(statuses),
            include_entry_json=include_entry_json)
        return await self._call(self.stub.ListAuthenticators, request, timeout)

    async def get_metadata_info(self, *, timeout: Optional[float] = None
                                ) -> pb.GetMetadataInfoResponse:
        return await self._call(self.stub.GetMetadataInfo, pb.GetMetadataInfoRequest(), timeout)

    async def evaluate_authentication(self, *, aaguid: str = "", flags: int = 0,
                                      registration_trust: str = "",
                                      user_groups: Sequence[str] = (), profile: str = "",
                                      timeout: Optional[float] = None
                                      ) -> pb.EvaluateAuthenticationResponse:
        request = pb.EvaluateAuthenticationRequest(
            aaguid=aaguid, flags=flags, registration_trust=registration_trust,
            user_groups=list(user_groups), profile=profile)
        return await self._call(self.stub.EvaluateAuthentication, request, timeout)

    async def check_credentials(self, credentials: Iterable[Credential], *,
                                user_groups: Sequence[str] = (), profile: str = "",
                                timeout: Optional[float] = None) -> pb.CheckCredentialsResponse:
        request = pb.CheckCredentialsRequest(
            credentials=[_credential(c) for c in credentials], user_groups=list(user_groups),
            profile=profile)
        return await self._call(self.stub.CheckCredentials, request, timeout)

    async def watch_status_changes(self, *, since_no: Optional[int] = None,
                                   since_sequence: Optional[int] = None,
                                   timeout: Optional[float] = None
                                   ) -> AsyncIterator[pb.StatusChangeEvent]:
        request = pb.WatchStatusChangesRequest()
        if since_no is not None:
            request.since_no = since_no
        if since_sequence is not None:
            request.since_sequence = since_sequence
        try:
            async for event in self.stub.WatchStatusChanges(request, timeout=timeout):
                yield event
        except grpc.RpcError as e:
            raise MdsdError.from_rpc_error(e) from None
