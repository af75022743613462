"""What grpcurl does, with nothing compiled in: learn mdsd's API and the google.rpc error
detail types from server reflection alone, call VerifyRegistration, and decode the error's
details (docs/integrate.md, "grpcurl and reflection")."""

import json

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha import proto_reflection_descriptor_database as reflection


def test_error_details_decode_from_reflection_alone(daemon):
    with grpc.insecure_channel(daemon.target) as channel:
        # A pool fed only by the server: not the process's default pool, where the client
        # package and googleapis-common-protos registered these types already.
        pool = descriptor_pool.DescriptorPool(
            reflection.ProtoReflectionDescriptorDatabase(channel))
        method = pool.FindMethodByName("mdsd.v1.AttestationService.VerifyRegistration")
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        call = channel.unary_unary("/mdsd.v1.AttestationService/VerifyRegistration",
                                   request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=response_class.FromString)
        request = json_format.ParseDict({"clientDataJson": "e30="}, request_class())
        with pytest.raises(grpc.RpcError) as caught:
            call(request, timeout=5)
        status_class = message_factory.GetMessageClass(
            pool.FindMessageTypeByName("google.rpc.Status"))
        raw = dict(caught.value.trailing_metadata())["grpc-status-details-bin"]
        status = json_format.MessageToDict(status_class.FromString(raw), descriptor_pool=pool)
    print(json.dumps(status, indent=2))
    assert status["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    by_type = {d["@type"]: d for d in status["details"]}
    info = by_type["type.googleapis.com/google.rpc.ErrorInfo"]
    assert info["reason"] == "INVALID_ARGUMENT" and info["domain"] == "mdsd.dev"
    bad = by_type["type.googleapis.com/google.rpc.BadRequest"]
    assert bad["fieldViolations"][0]["field"] == "attestation_object"
    # The files carry their canonical names (as in googleapis and grpcurl's own registry).
    assert pool.FindMessageTypeByName("google.rpc.ErrorInfo").file.name == \
        "google/rpc/error_details.proto"
