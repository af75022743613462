"""MdsdError: a failed RPC with its gRPC code, message and the google.rpc details mdsd sends
(ErrorInfo with a stable `reason`, BadRequest field violations)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import grpc
from google.protobuf import any_pb2, json_format, message
from google.rpc import error_details_pb2, status_pb2

# The trailer that carries the serialized google.rpc.Status (gRPC "richer error model").
STATUS_DETAILS_KEY = "grpc-status-details-bin"

_DETAIL_TYPES = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RequestInfo,
    error_details_pb2.DebugInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)


class MdsdError(Exception):
    """An RPC that failed with a gRPC status.

    Attributes:
        code: the grpc.StatusCode (e.g. grpc.StatusCode.INVALID_ARGUMENT).
        code_name: its canonical name ("INVALID_ARGUMENT").
        message: the status message, for people.
        reason: google.rpc.ErrorInfo.reason, the stable code to branch on ("INVALID_ARGUMENT",
            "METADATA_NOT_LOADED", "METADATA_STALE", "NOT_FOUND", "PAGE_TOKEN_STALE",
            "POLICY_NOT_CONFIGURED", "DIFF_NOT_RETAINED", "WATCH_LAGGED", "INTERNAL"); empty
            when the status carried no ErrorInfo (e.g. a transport error).
        domain: ErrorInfo.domain ("mdsd.dev"), empty without ErrorInfo.
        metadata: ErrorInfo.metadata.
        field_violations: (field, description) pairs of google.rpc.BadRequest.
        details: every detail message, decoded when its type is a google.rpc one, else the Any.
    """

    def __init__(self, code: grpc.StatusCode, message_: str,
                 details: Sequence[message.Message] = ()) -> None:
        self.code = code
        self.code_name: str = code.name
        self.message = message_
        self.details: List[message.Message] = list(details)
        info = next((d for d in self.details if isinstance(d, error_details_pb2.ErrorInfo)), None)
        self.reason: str = info.reason if info is not None else ""
        self.domain: str = info.domain if info is not None else ""
        self.metadata: Dict[str, str] = dict(info.metadata) if info is not None else {}
        self.field_violations: List[Tuple[str, str]] = [
            (v.field, v.description)
            for d in self.details if isinstance(d, error_details_pb2.BadRequest)
            for v in d.field_violations
        ]
        super().__init__(str(self))

    def __str__(self) -> str:
        reason = f" [{self.reason}]" if self.reason else ""
        return f"{self.code_name}{reason}: {self.message}"

    def to_json(self) -> Dict[str, Any]:
        """The google.rpc.Status in the proto3 JSON mapping: {"code": 3, "message": ...,
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", ...}, ...]}."""
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        for d in self.details:
            if isinstance(d, any_pb2.Any):
                status.details.append(d)
            else:
                status.details.add().Pack(d)
        return json_format.MessageToDict(status)

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> "MdsdError":
        """Builds the error from a grpc (sync or asyncio) RpcError."""
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        text = err.details() if hasattr(err, "details") else str(err)
        trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
        return cls(code or grpc.StatusCode.UNKNOWN, text or "", decode_details(trailers))


def decode_details(trailers: Optional[Sequence[Tuple[str, Any]]]) -> List[message.Message]:
    """The detail messages of the google.rpc.Status in the trailers (none when absent or
    unreadable: a broken trailer never hides the gRPC status itself)."""
    raw = next((v for k, v in (trailers or ()) if k == STATUS_DETAILS_KEY), None)
    if not isinstance(raw, bytes):
        return []
    try:
        status = status_pb2.Status.FromString(raw)
    except message.DecodeError:
        return []
    out: List[message.Message] = []
    for any_ in status.details:
        for t in _DETAIL_TYPES:
            if any_.Is(t.DESCRIPTOR):
                decoded = t()
                any_.Unpack(decoded)
                out.append(decoded)
                break
        else:
            out.append(any_)
    return out
