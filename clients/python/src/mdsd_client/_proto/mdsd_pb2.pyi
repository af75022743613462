import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    ACCEPTED: _ClassVar[Verdict]
    REJECTED: _ClassVar[Verdict]

class CredentialKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_KIND_UNSPECIFIED: _ClassVar[CredentialKind]
    DEVICE_BOUND: _ClassVar[CredentialKind]
    SYNCED: _ClassVar[CredentialKind]

class OriginKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_KIND_UNSPECIFIED: _ClassVar[OriginKind]
    FIDO_MDS: _ClassVar[OriginKind]
    BLOB_SOURCE: _ClassVar[OriginKind]
    OPERATOR_STATEMENT: _ClassVar[OriginKind]

class ChangeCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_CAUSE_UNSPECIFIED: _ClassVar[ChangeCause]
    NEW_BLOB: _ClassVar[ChangeCause]
    EFFECTIVE_DATE: _ClassVar[ChangeCause]
    SOURCE_CHANGED: _ClassVar[ChangeCause]

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    STATUS_CHANGED: _ClassVar[ChangeKind]
    ADDED: _ClassVar[ChangeKind]
    REMOVED: _ClassVar[ChangeKind]
VERDICT_UNSPECIFIED: Verdict
ACCEPTED: Verdict
REJECTED: Verdict
CREDENTIAL_KIND_UNSPECIFIED: CredentialKind
DEVICE_BOUND: CredentialKind
SYNCED: CredentialKind
ORIGIN_KIND_UNSPECIFIED: OriginKind
FIDO_MDS: OriginKind
BLOB_SOURCE: OriginKind
OPERATOR_STATEMENT: OriginKind
CHANGE_CAUSE_UNSPECIFIED: ChangeCause
NEW_BLOB: ChangeCause
EFFECTIVE_DATE: ChangeCause
SOURCE_CHANGED: ChangeCause
CHANGE_KIND_UNSPECIFIED: ChangeKind
STATUS_CHANGED: ChangeKind
ADDED: ChangeKind
REMOVED: ChangeKind

class Reason(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class TrustAnchor(_message.Message):
    __slots__ = ("sha256", "label")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    label: str
    def __init__(self, sha256: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class AuthenticatorFlags(_message.Message):
    __slots__ = ("raw", "user_present", "user_verified", "backup_eligible", "backed_up", "attested_credential_data", "extension_data")
    RAW_FIELD_NUMBER: _ClassVar[int]
    USER_PRESENT_FIELD_NUMBER: _ClassVar[int]
    USER_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    BACKUP_ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    BACKED_UP_FIELD_NUMBER: _ClassVar[int]
    ATTESTED_CREDENTIAL_DATA_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_DATA_FIELD_NUMBER: _ClassVar[int]
    raw: int
    user_present: bool
    user_verified: bool
    backup_eligible: bool
    backed_up: bool
    attested_credential_data: bool
    extension_data: bool
    def __init__(self, raw: _Optional[int] = ..., user_present: _Optional[bool] = ..., user_verified: _Optional[bool] = ..., backup_eligible: _Optional[bool] = ..., backed_up: _Optional[bool] = ..., attested_credential_data: _Optional[bool] = ..., extension_data: _Optional[bool] = ...) -> None: ...

class AuthenticatorSummary(_message.Message):
    __slots__ = ("description", "status", "key_scope", "multi_device_credential_support", "verified", "origin")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    KEY_SCOPE_FIELD_NUMBER: _ClassVar[int]
    MULTI_DEVICE_CREDENTIAL_SUPPORT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    description: str
    status: str
    key_scope: str
    multi_device_credential_support: str
    verified: bool
    origin: MetadataOrigin
    def __init__(self, description: _Optional[str] = ..., status: _Optional[str] = ..., key_scope: _Optional[str] = ..., multi_device_credential_support: _Optional[str] = ..., verified: _Optional[bool] = ..., origin: _Optional[_Union[MetadataOrigin, _Mapping]] = ...) -> None: ...

class MetadataOrigin(_message.Message):
    __slots__ = ("kind", "source")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    kind: OriginKind
    source: str
    def __init__(self, kind: _Optional[_Union[OriginKind, str]] = ..., source: _Optional[str] = ...) -> None: ...

class Provenance(_message.Message):
    __slots__ = ("coverage", "entry_selected_by", "aaguid", "key_identifier", "claimed")
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_SELECTED_BY_FIELD_NUMBER: _ClassVar[int]
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    KEY_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    coverage: str
    entry_selected_by: str
    aaguid: str
    key_identifier: str
    claimed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, coverage: _Optional[str] = ..., entry_selected_by: _Optional[str] = ..., aaguid: _Optional[str] = ..., key_identifier: _Optional[str] = ..., claimed: _Optional[_Iterable[str]] = ...) -> None: ...

class VerifyRegistrationRequest(_message.Message):
    __slots__ = ("attestation_object", "client_data_json", "rp_id", "origins", "challenge", "require_user_verification", "require_user_presence", "top_origins", "user_groups", "profile", "enterprise_attestation")
    ATTESTATION_OBJECT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    RP_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGINS_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_USER_VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_USER_PRESENCE_FIELD_NUMBER: _ClassVar[int]
    TOP_ORIGINS_FIELD_NUMBER: _ClassVar[int]
    USER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ATTESTATION_FIELD_NUMBER: _ClassVar[int]
    attestation_object: bytes
    client_data_json: bytes
    rp_id: str
    origins: _containers.RepeatedScalarFieldContainer[str]
    challenge: bytes
    require_user_verification: bool
    require_user_presence: bool
    top_origins: _containers.RepeatedScalarFieldContainer[str]
    user_groups: _containers.RepeatedScalarFieldContainer[str]
    profile: str
    enterprise_attestation: bool
    def __init__(self, attestation_object: _Optional[bytes] = ..., client_data_json: _Optional[bytes] = ..., rp_id: _Optional[str] = ..., origins: _Optional[_Iterable[str]] = ..., challenge: _Optional[bytes] = ..., require_user_verification: _Optional[bool] = ..., require_user_presence: _Optional[bool] = ..., top_origins: _Optional[_Iterable[str]] = ..., user_groups: _Optional[_Iterable[str]] = ..., profile: _Optional[str] = ..., enterprise_attestation: _Optional[bool] = ...) -> None: ...

class VerifyRegistrationResponse(_message.Message):
    __slots__ = ("verdict", "trusted", "format", "attestation_type", "aaguid", "credential_kind", "reasons", "metadata_no", "metadata_stale", "statement_valid", "authenticator", "trust_path", "anchor", "credential_id", "credential_public_key", "credential_alg", "sign_count", "flags", "kind_conflict", "ceremony_checked", "policy", "attestation_trust", "provenance", "notes", "passkey_provider", "serial_number")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    TRUSTED_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_KIND_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    METADATA_STALE_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_VALID_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATOR_FIELD_NUMBER: _ClassVar[int]
    TRUST_PATH_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ALG_FIELD_NUMBER: _ClassVar[int]
    SIGN_COUNT_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    KIND_CONFLICT_FIELD_NUMBER: _ClassVar[int]
    CEREMONY_CHECKED_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_TRUST_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    PASSKEY_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    verdict: Verdict
    trusted: bool
    format: str
    attestation_type: str
    aaguid: str
    credential_kind: CredentialKind
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    metadata_no: int
    metadata_stale: bool
    statement_valid: bool
    authenticator: AuthenticatorSummary
    trust_path: _containers.RepeatedScalarFieldContainer[str]
    anchor: TrustAnchor
    credential_id: bytes
    credential_public_key: bytes
    credential_alg: int
    sign_count: int
    flags: AuthenticatorFlags
    kind_conflict: str
    ceremony_checked: bool
    policy: PolicyDecision
    attestation_trust: str
    provenance: Provenance
    notes: _containers.RepeatedCompositeFieldContainer[Reason]
    passkey_provider: PasskeyProvider
    serial_number: bytes
    def __init__(self, verdict: _Optional[_Union[Verdict, str]] = ..., trusted: _Optional[bool] = ..., format: _Optional[str] = ..., attestation_type: _Optional[str] = ..., aaguid: _Optional[str] = ..., credential_kind: _Optional[_Union[CredentialKind, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., metadata_no: _Optional[int] = ..., metadata_stale: _Optional[bool] = ..., statement_valid: _Optional[bool] = ..., authenticator: _Optional[_Union[AuthenticatorSummary, _Mapping]] = ..., trust_path: _Optional[_Iterable[str]] = ..., anchor: _Optional[_Union[TrustAnchor, _Mapping]] = ..., credential_id: _Optional[bytes] = ..., credential_public_key: _Optional[bytes] = ..., credential_alg: _Optional[int] = ..., sign_count: _Optional[int] = ..., flags: _Optional[_Union[AuthenticatorFlags, _Mapping]] = ..., kind_conflict: _Optional[str] = ..., ceremony_checked: _Optional[bool] = ..., policy: _Optional[_Union[PolicyDecision, _Mapping]] = ..., attestation_trust: _Optional[str] = ..., provenance: _Optional[_Union[Provenance, _Mapping]] = ..., notes: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., passkey_provider: _Optional[_Union[PasskeyProvider, _Mapping]] = ..., serial_number: _Optional[bytes] = ...) -> None: ...

class PasskeyProvider(_message.Message):
    __slots__ = ("name", "provenance", "list_source")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    LIST_SOURCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    provenance: str
    list_source: str
    def __init__(self, name: _Optional[str] = ..., provenance: _Optional[str] = ..., list_source: _Optional[str] = ...) -> None: ...

class EvaluateAuthenticationRequest(_message.Message):
    __slots__ = ("aaguid", "flags", "registration_trust", "user_groups", "profile")
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_TRUST_FIELD_NUMBER: _ClassVar[int]
    USER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    aaguid: str
    flags: int
    registration_trust: str
    user_groups: _containers.RepeatedScalarFieldContainer[str]
    profile: str
    def __init__(self, aaguid: _Optional[str] = ..., flags: _Optional[int] = ..., registration_trust: _Optional[str] = ..., user_groups: _Optional[_Iterable[str]] = ..., profile: _Optional[str] = ...) -> None: ...

class EvaluateAuthenticationResponse(_message.Message):
    __slots__ = ("policy", "metadata_no", "metadata_stale")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    METADATA_STALE_FIELD_NUMBER: _ClassVar[int]
    policy: PolicyDecision
    metadata_no: int
    metadata_stale: bool
    def __init__(self, policy: _Optional[_Union[PolicyDecision, _Mapping]] = ..., metadata_no: _Optional[int] = ..., metadata_stale: _Optional[bool] = ...) -> None: ...

class PolicyDecision(_message.Message):
    __slots__ = ("allowed", "profile", "failures", "notes", "outcomes")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    profile: str
    failures: _containers.RepeatedCompositeFieldContainer[Reason]
    notes: _containers.RepeatedCompositeFieldContainer[Reason]
    outcomes: _containers.RepeatedCompositeFieldContainer[ProfileOutcome]
    def __init__(self, allowed: _Optional[bool] = ..., profile: _Optional[str] = ..., failures: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., notes: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., outcomes: _Optional[_Iterable[_Union[ProfileOutcome, _Mapping]]] = ...) -> None: ...

class ProfileOutcome(_message.Message):
    __slots__ = ("profile", "failures")
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    profile: str
    failures: _containers.RepeatedCompositeFieldContainer[Reason]
    def __init__(self, profile: _Optional[str] = ..., failures: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ...) -> None: ...

class ValidateAttestationChainRequest(_message.Message):
    __slots__ = ("aaguid", "key_identifier", "x5c")
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    KEY_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    X5C_FIELD_NUMBER: _ClassVar[int]
    aaguid: str
    key_identifier: str
    x5c: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, aaguid: _Optional[str] = ..., key_identifier: _Optional[str] = ..., x5c: _Optional[_Iterable[bytes]] = ...) -> None: ...

class ValidateAttestationChainResponse(_message.Message):
    __slots__ = ("verdict", "trusted", "authenticator", "anchor", "trust_path", "reasons", "metadata_no", "metadata_stale")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    TRUSTED_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATOR_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    TRUST_PATH_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    METADATA_STALE_FIELD_NUMBER: _ClassVar[int]
    verdict: Verdict
    trusted: bool
    authenticator: AuthenticatorSummary
    anchor: TrustAnchor
    trust_path: _containers.RepeatedScalarFieldContainer[str]
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    metadata_no: int
    metadata_stale: bool
    def __init__(self, verdict: _Optional[_Union[Verdict, str]] = ..., trusted: _Optional[bool] = ..., authenticator: _Optional[_Union[AuthenticatorSummary, _Mapping]] = ..., anchor: _Optional[_Union[TrustAnchor, _Mapping]] = ..., trust_path: _Optional[_Iterable[str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., metadata_no: _Optional[int] = ..., metadata_stale: _Optional[bool] = ...) -> None: ...

class StatusReport(_message.Message):
    __slots__ = ("status", "effective_date", "authenticator_version", "certificate", "url", "certification_descriptor")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATION_DESCRIPTOR_FIELD_NUMBER: _ClassVar[int]
    status: str
    effective_date: str
    authenticator_version: int
    certificate: bytes
    url: str
    certification_descriptor: str
    def __init__(self, status: _Optional[str] = ..., effective_date: _Optional[str] = ..., authenticator_version: _Optional[int] = ..., certificate: _Optional[bytes] = ..., url: _Optional[str] = ..., certification_descriptor: _Optional[str] = ...) -> None: ...

class Authenticator(_message.Message):
    __slots__ = ("aaguid", "aaid", "key_identifiers", "description", "authenticator_version", "attestation_types", "key_scope", "multi_device_credential_support", "current_status", "status_reports", "attestation_root_sha256", "entry_json", "origin")
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    AAID_FIELD_NUMBER: _ClassVar[int]
    KEY_IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    KEY_SCOPE_FIELD_NUMBER: _ClassVar[int]
    MULTI_DEVICE_CREDENTIAL_SUPPORT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REPORTS_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_ROOT_SHA256_FIELD_NUMBER: _ClassVar[int]
    ENTRY_JSON_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    aaguid: str
    aaid: str
    key_identifiers: _containers.RepeatedScalarFieldContainer[str]
    description: str
    authenticator_version: int
    attestation_types: _containers.RepeatedScalarFieldContainer[str]
    key_scope: str
    multi_device_credential_support: str
    current_status: str
    status_reports: _containers.RepeatedCompositeFieldContainer[StatusReport]
    attestation_root_sha256: _containers.RepeatedScalarFieldContainer[str]
    entry_json: str
    origin: MetadataOrigin
    def __init__(self, aaguid: _Optional[str] = ..., aaid: _Optional[str] = ..., key_identifiers: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., authenticator_version: _Optional[int] = ..., attestation_types: _Optional[_Iterable[str]] = ..., key_scope: _Optional[str] = ..., multi_device_credential_support: _Optional[str] = ..., current_status: _Optional[str] = ..., status_reports: _Optional[_Iterable[_Union[StatusReport, _Mapping]]] = ..., attestation_root_sha256: _Optional[_Iterable[str]] = ..., entry_json: _Optional[str] = ..., origin: _Optional[_Union[MetadataOrigin, _Mapping]] = ...) -> None: ...

class GetAuthenticatorRequest(_message.Message):
    __slots__ = ("aaguid", "key_identifier", "aaid")
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    KEY_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    AAID_FIELD_NUMBER: _ClassVar[int]
    aaguid: str
    key_identifier: str
    aaid: str
    def __init__(self, aaguid: _Optional[str] = ..., key_identifier: _Optional[str] = ..., aaid: _Optional[str] = ...) -> None: ...

class GetAuthenticatorResponse(_message.Message):
    __slots__ = ("authenticator", "metadata_no", "metadata_stale", "passkey_provider")
    AUTHENTICATOR_FIELD_NUMBER: _ClassVar[int]
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    METADATA_STALE_FIELD_NUMBER: _ClassVar[int]
    PASSKEY_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    authenticator: Authenticator
    metadata_no: int
    metadata_stale: bool
    passkey_provider: PasskeyProvider
    def __init__(self, authenticator: _Optional[_Union[Authenticator, _Mapping]] = ..., metadata_no: _Optional[int] = ..., metadata_stale: _Optional[bool] = ..., passkey_provider: _Optional[_Union[PasskeyProvider, _Mapping]] = ...) -> None: ...

class ListAuthenticatorsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "description_contains", "statuses", "include_entry_json")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ENTRY_JSON_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    description_contains: str
    statuses: _containers.RepeatedScalarFieldContainer[str]
    include_entry_json: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., description_contains: _Optional[str] = ..., statuses: _Optional[_Iterable[str]] = ..., include_entry_json: _Optional[bool] = ...) -> None: ...

class ListAuthenticatorsResponse(_message.Message):
    __slots__ = ("authenticators", "next_page_token", "total_size", "metadata_no", "metadata_stale")
    AUTHENTICATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    METADATA_STALE_FIELD_NUMBER: _ClassVar[int]
    authenticators: _containers.RepeatedCompositeFieldContainer[Authenticator]
    next_page_token: str
    total_size: int
    metadata_no: int
    metadata_stale: bool
    def __init__(self, authenticators: _Optional[_Iterable[_Union[Authenticator, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., metadata_no: _Optional[int] = ..., metadata_stale: _Optional[bool] = ...) -> None: ...

class GetMetadataInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QuarantinedEntry(_message.Message):
    __slots__ = ("index", "id", "reason")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    index: int
    id: str
    reason: str
    def __init__(self, index: _Optional[int] = ..., id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetMetadataInfoResponse(_message.Message):
    __slots__ = ("loaded", "no", "next_update", "source", "fetched_at", "verified_at", "anchor", "entry_count", "quarantined", "stale", "serve_until", "last_error", "last_refresh_at", "next_refresh_at", "jws_alg", "revocation_checked", "legal_header", "entry_warnings", "unknown_fields", "unknown_statuses", "policy", "danger_clock", "passkey_providers", "legal_header_sha256", "accepted_legal_header_sha256", "legal_header_changed", "operator_statements", "blob_sources")
    class UnknownFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class UnknownStatusesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    LOADED_FIELD_NUMBER: _ClassVar[int]
    NO_FIELD_NUMBER: _ClassVar[int]
    NEXT_UPDATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    SERVE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_REFRESH_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_REFRESH_AT_FIELD_NUMBER: _ClassVar[int]
    JWS_ALG_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_CHECKED_FIELD_NUMBER: _ClassVar[int]
    LEGAL_HEADER_FIELD_NUMBER: _ClassVar[int]
    ENTRY_WARNINGS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_FIELDS_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_STATUSES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    DANGER_CLOCK_FIELD_NUMBER: _ClassVar[int]
    PASSKEY_PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    LEGAL_HEADER_SHA256_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_LEGAL_HEADER_SHA256_FIELD_NUMBER: _ClassVar[int]
    LEGAL_HEADER_CHANGED_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    BLOB_SOURCES_FIELD_NUMBER: _ClassVar[int]
    loaded: bool
    no: int
    next_update: str
    source: str
    fetched_at: _timestamp_pb2.Timestamp
    verified_at: _timestamp_pb2.Timestamp
    anchor: TrustAnchor
    entry_count: int
    quarantined: _containers.RepeatedCompositeFieldContainer[QuarantinedEntry]
    stale: bool
    serve_until: _timestamp_pb2.Timestamp
    last_error: str
    last_refresh_at: _timestamp_pb2.Timestamp
    next_refresh_at: _timestamp_pb2.Timestamp
    jws_alg: str
    revocation_checked: bool
    legal_header: str
    entry_warnings: _containers.RepeatedCompositeFieldContainer[EntryWarning]
    unknown_fields: _containers.ScalarMap[str, int]
    unknown_statuses: _containers.ScalarMap[str, int]
    policy: PolicyInfo
    danger_clock: _timestamp_pb2.Timestamp
    passkey_providers: PasskeyProvidersInfo
    legal_header_sha256: str
    accepted_legal_header_sha256: str
    legal_header_changed: bool
    operator_statements: OperatorStatementsInfo
    blob_sources: _containers.RepeatedCompositeFieldContainer[BlobSourceInfo]
    def __init__(self, loaded: _Optional[bool] = ..., no: _Optional[int] = ..., next_update: _Optional[str] = ..., source: _Optional[str] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., anchor: _Optional[_Union[TrustAnchor, _Mapping]] = ..., entry_count: _Optional[int] = ..., quarantined: _Optional[_Iterable[_Union[QuarantinedEntry, _Mapping]]] = ..., stale: _Optional[bool] = ..., serve_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ..., last_refresh_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_refresh_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., jws_alg: _Optional[str] = ..., revocation_checked: _Optional[bool] = ..., legal_header: _Optional[str] = ..., entry_warnings: _Optional[_Iterable[_Union[EntryWarning, _Mapping]]] = ..., unknown_fields: _Optional[_Mapping[str, int]] = ..., unknown_statuses: _Optional[_Mapping[str, int]] = ..., policy: _Optional[_Union[PolicyInfo, _Mapping]] = ..., danger_clock: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., passkey_providers: _Optional[_Union[PasskeyProvidersInfo, _Mapping]] = ..., legal_header_sha256: _Optional[str] = ..., accepted_legal_header_sha256: _Optional[str] = ..., legal_header_changed: _Optional[bool] = ..., operator_statements: _Optional[_Union[OperatorStatementsInfo, _Mapping]] = ..., blob_sources: _Optional[_Iterable[_Union[BlobSourceInfo, _Mapping]]] = ...) -> None: ...

class OperatorStatementsInfo(_message.Message):
    __slots__ = ("statements", "last_reload_error", "loaded_at", "last_reload_at")
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_RELOAD_ERROR_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_RELOAD_AT_FIELD_NUMBER: _ClassVar[int]
    statements: _containers.RepeatedCompositeFieldContainer[OperatorStatement]
    last_reload_error: str
    loaded_at: _timestamp_pb2.Timestamp
    last_reload_at: _timestamp_pb2.Timestamp
    def __init__(self, statements: _Optional[_Iterable[_Union[OperatorStatement, _Mapping]]] = ..., last_reload_error: _Optional[str] = ..., loaded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_reload_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OperatorStatement(_message.Message):
    __slots__ = ("file", "keys", "description", "shadowed", "shadowed_keys")
    FILE_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SHADOWED_FIELD_NUMBER: _ClassVar[int]
    SHADOWED_KEYS_FIELD_NUMBER: _ClassVar[int]
    file: str
    keys: _containers.RepeatedScalarFieldContainer[str]
    description: str
    shadowed: bool
    shadowed_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, file: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., shadowed: _Optional[bool] = ..., shadowed_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class BlobSourceInfo(_message.Message):
    __slots__ = ("name", "loaded", "no", "next_update", "stale", "entry_count", "verified_at", "served", "serve_until", "last_error", "last_refresh_at", "last_success_at", "consecutive_failures", "next_refresh_at", "roots_sha256")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOADED_FIELD_NUMBER: _ClassVar[int]
    NO_FIELD_NUMBER: _ClassVar[int]
    NEXT_UPDATE_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    SERVED_FIELD_NUMBER: _ClassVar[int]
    SERVE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_REFRESH_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_AT_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_REFRESH_AT_FIELD_NUMBER: _ClassVar[int]
    ROOTS_SHA256_FIELD_NUMBER: _ClassVar[int]
    name: str
    loaded: bool
    no: int
    next_update: str
    stale: bool
    entry_count: int
    verified_at: _timestamp_pb2.Timestamp
    served: bool
    serve_until: _timestamp_pb2.Timestamp
    last_error: str
    last_refresh_at: _timestamp_pb2.Timestamp
    last_success_at: _timestamp_pb2.Timestamp
    consecutive_failures: int
    next_refresh_at: _timestamp_pb2.Timestamp
    roots_sha256: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., loaded: _Optional[bool] = ..., no: _Optional[int] = ..., next_update: _Optional[str] = ..., stale: _Optional[bool] = ..., entry_count: _Optional[int] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., served: _Optional[bool] = ..., serve_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error: _Optional[str] = ..., last_refresh_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_success_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consecutive_failures: _Optional[int] = ..., next_refresh_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., roots_sha256: _Optional[_Iterable[str]] = ...) -> None: ...

class PasskeyProvidersInfo(_message.Message):
    __slots__ = ("source", "names", "sha256", "loaded_at", "configured", "last_error", "last_attempt_at", "source_empty", "skipped")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EMPTY_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    source: str
    names: int
    sha256: str
    loaded_at: _timestamp_pb2.Timestamp
    configured: str
    last_error: str
    last_attempt_at: _timestamp_pb2.Timestamp
    source_empty: bool
    skipped: int
    def __init__(self, source: _Optional[str] = ..., names: _Optional[int] = ..., sha256: _Optional[str] = ..., loaded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., configured: _Optional[str] = ..., last_error: _Optional[str] = ..., last_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_empty: _Optional[bool] = ..., skipped: _Optional[int] = ...) -> None: ...

class PolicyInfo(_message.Message):
    __slots__ = ("sha256", "generation", "loaded_at", "profiles", "last_reload_error", "last_reload_at", "config_file")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    LOADED_AT_FIELD_NUMBER: _ClassVar[int]
    PROFILES_FIELD_NUMBER: _ClassVar[int]
    LAST_RELOAD_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_RELOAD_AT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FILE_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    generation: int
    loaded_at: _timestamp_pb2.Timestamp
    profiles: _containers.RepeatedScalarFieldContainer[str]
    last_reload_error: str
    last_reload_at: _timestamp_pb2.Timestamp
    config_file: str
    def __init__(self, sha256: _Optional[str] = ..., generation: _Optional[int] = ..., loaded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., profiles: _Optional[_Iterable[str]] = ..., last_reload_error: _Optional[str] = ..., last_reload_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., config_file: _Optional[str] = ...) -> None: ...

class CheckCredentialsRequest(_message.Message):
    __slots__ = ("credentials", "user_groups", "profile")
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    USER_GROUPS_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    credentials: _containers.RepeatedCompositeFieldContainer[RegisteredCredential]
    user_groups: _containers.RepeatedScalarFieldContainer[str]
    profile: str
    def __init__(self, credentials: _Optional[_Iterable[_Union[RegisteredCredential, _Mapping]]] = ..., user_groups: _Optional[_Iterable[str]] = ..., profile: _Optional[str] = ...) -> None: ...

class RegisteredCredential(_message.Message):
    __slots__ = ("aaguid", "key_identifier", "attestation_sha256", "registered_at", "credential_id", "flags", "registration_trust")
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    KEY_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    ATTESTATION_SHA256_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_TRUST_FIELD_NUMBER: _ClassVar[int]
    aaguid: str
    key_identifier: str
    attestation_sha256: _containers.RepeatedScalarFieldContainer[str]
    registered_at: _timestamp_pb2.Timestamp
    credential_id: bytes
    flags: int
    registration_trust: str
    def __init__(self, aaguid: _Optional[str] = ..., key_identifier: _Optional[str] = ..., attestation_sha256: _Optional[_Iterable[str]] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., credential_id: _Optional[bytes] = ..., flags: _Optional[int] = ..., registration_trust: _Optional[str] = ...) -> None: ...

class CredentialCheck(_message.Message):
    __slots__ = ("index", "credential_id", "trusted", "reasons", "current_status", "status_effective_date", "changed_since_registration", "description", "policy", "origin")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    TRUSTED_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SINCE_REGISTRATION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    index: int
    credential_id: bytes
    trusted: bool
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    current_status: str
    status_effective_date: str
    changed_since_registration: bool
    description: str
    policy: PolicyDecision
    origin: MetadataOrigin
    def __init__(self, index: _Optional[int] = ..., credential_id: _Optional[bytes] = ..., trusted: _Optional[bool] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., current_status: _Optional[str] = ..., status_effective_date: _Optional[str] = ..., changed_since_registration: _Optional[bool] = ..., description: _Optional[str] = ..., policy: _Optional[_Union[PolicyDecision, _Mapping]] = ..., origin: _Optional[_Union[MetadataOrigin, _Mapping]] = ...) -> None: ...

class CheckCredentialsResponse(_message.Message):
    __slots__ = ("results", "metadata_no", "metadata_stale")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    METADATA_STALE_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CredentialCheck]
    metadata_no: int
    metadata_stale: bool
    def __init__(self, results: _Optional[_Iterable[_Union[CredentialCheck, _Mapping]]] = ..., metadata_no: _Optional[int] = ..., metadata_stale: _Optional[bool] = ...) -> None: ...

class WatchStatusChangesRequest(_message.Message):
    __slots__ = ("since_no", "since_sequence")
    SINCE_NO_FIELD_NUMBER: _ClassVar[int]
    SINCE_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    since_no: int
    since_sequence: int
    def __init__(self, since_no: _Optional[int] = ..., since_sequence: _Optional[int] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("kind", "aaguid", "key_identifiers", "aaid", "description", "old_status", "new_status", "effective_date")
    KIND_FIELD_NUMBER: _ClassVar[int]
    AAGUID_FIELD_NUMBER: _ClassVar[int]
    KEY_IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    AAID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    kind: ChangeKind
    aaguid: str
    key_identifiers: _containers.RepeatedScalarFieldContainer[str]
    aaid: str
    description: str
    old_status: str
    new_status: str
    effective_date: str
    def __init__(self, kind: _Optional[_Union[ChangeKind, str]] = ..., aaguid: _Optional[str] = ..., key_identifiers: _Optional[_Iterable[str]] = ..., aaid: _Optional[str] = ..., description: _Optional[str] = ..., old_status: _Optional[str] = ..., new_status: _Optional[str] = ..., effective_date: _Optional[str] = ...) -> None: ...

class StatusChangeEvent(_message.Message):
    __slots__ = ("metadata_no", "previous_no", "changes", "replayed", "installed_at", "sequence", "cause")
    METADATA_NO_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_NO_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_AT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    metadata_no: int
    previous_no: int
    changes: _containers.RepeatedCompositeFieldContainer[StatusChange]
    replayed: bool
    installed_at: _timestamp_pb2.Timestamp
    sequence: int
    cause: ChangeCause
    def __init__(self, metadata_no: _Optional[int] = ..., previous_no: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[StatusChange, _Mapping]]] = ..., replayed: _Optional[bool] = ..., installed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sequence: _Optional[int] = ..., cause: _Optional[_Union[ChangeCause, str]] = ...) -> None: ...

class EntryWarning(_message.Message):
    __slots__ = ("index", "id", "note")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    index: int
    id: str
    note: str
    def __init__(self, index: _Optional[int] = ..., id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...
