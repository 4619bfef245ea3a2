"""The endpoint registry: one frozen record per Admin API endpoint.

Everything else is derived from it: JSON Schemas (``harness schemas --write``), normalize's field
lists, dedupe keys, report counters, table columns (checked against the SQL migrations by a test),
foreign-key checks and ENDPOINTS.md. To add an endpoint, add a record here and follow ENDPOINTS.md.
The record types are in ``records.py`` (and importable from here, as they always were).
"""

from __future__ import annotations

from .audit_types import AUDIT_LOG_TYPES
from .records import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    PROJECT_REF,
    SQL_TYPES,
    Endpoint,
    Field,
    FieldType,
    Pagination,
    Reference,
    project_archived,
    project_archived_sql,
)
from .usage_records import USAGE_ENDPOINTS

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "ENDPOINTS",
    "REGISTRY",
    "SQL_TYPES",
    "Endpoint",
    "Field",
    "FieldType",
    "Pagination",
    "Reference",
    "by_api_path",
    "project_archived",
    "project_archived_sql",
]


_TS: FieldType = "timestamp"
# ProjectResidency (SDK 3.51.0); the API may add regions, kept and reported as drift.
_RESIDENCIES = (
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "JP_STORAGE_PROCESSING",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "IN_STORAGE_PROCESSING",
    "AU_STORAGE",
    "AU_STORAGE_PROCESSING",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
)
_MEMBER_FIELDS = (
    Field("name", "string"),
    Field("email", "string"),
    Field("role", "string"),
    Field("added_at", _TS, required=True, nullable=False),
)
_CERTIFICATE_FIELDS = (
    Field("name", "string"),
    Field("active", "boolean"),
    Field("created_at", _TS, required=True, nullable=False),
    Field("valid_at", _TS, paths=(("certificate_details", "valid_at"),)),
    Field("expires_at", _TS, paths=(("certificate_details", "expires_at"),)),
    # The certificate itself (PEM), where the API includes it (SDK 3.51.0).
    Field("content", "string", paths=(("certificate_details", "content"),)),
)

ENDPOINTS: tuple[Endpoint, ...] = (
    *USAGE_ENDPOINTS,
    Endpoint(
        name="projects",
        path="projects",
        object="organization.project",
        pagination="cursor",
        attributes=(
            Field("name", "string"),
            Field("created_at", _TS, required=True, nullable=False),
            Field("archived_at", _TS),
            Field("status", "string", known=("active", "archived")),
            Field("external_key_id", "string"),
            Field("residency", "string", known=_RESIDENCIES),
        ),
        list_query=(("include_archived", True),),
        description="Projects, archived ones included (`include_archived=true`).",
    ),
    Endpoint(
        name="users",
        path="users",
        object="organization.user",
        pagination="cursor",
        attributes=(
            *_MEMBER_FIELDS,
            Field("created", _TS),
            Field("api_key_last_used_at", _TS),
            Field("is_default", "boolean"),
            Field("is_service_account", "boolean"),
            Field("is_scim_managed", "boolean"),
            Field("is_scale_tier_authorized_purchaser", "boolean"),
            Field("technical_level", "string"),
            Field("developer_persona", "string"),
            Field("user", "json"),  # nested user details, if included
            Field("projects", "json"),  # the user's projects, if included
        ),
        description="Members of the organization.",
    ),
    Endpoint(
        name="project_users",
        path="projects/{project_id}/users",
        object="organization.project.user",
        pagination="cursor",
        attributes=_MEMBER_FIELDS,
        references=(PROJECT_REF, Reference("unknown_user", "id", "users")),
        archived_400=True,
        description="Members of one project (400 for an archived project).",
    ),
    Endpoint(
        name="project_service_accounts",
        path="projects/{project_id}/service_accounts",
        object="organization.project.service_account",
        pagination="cursor",
        attributes=(
            Field("name", "string", required=True),
            Field("role", "string", required=True, known=("owner", "member", "none")),
            Field("created_at", _TS, required=True, nullable=False),
        ),
        references=(PROJECT_REF,),
        archived_400=True,
        description="Service accounts of one project (400 for an archived project).",
    ),
    Endpoint(
        name="project_api_keys",
        path="projects/{project_id}/api_keys",
        object="organization.project.api_key",
        pagination="cursor",
        attributes=(
            Field("name", "string", required=True),
            Field("redacted_value", "string", required=True),
            Field("created_at", _TS, required=True, nullable=False),
            Field("last_used_at", _TS),
            Field("owner_type", "string", paths=(("owner", "type"),)),
            Field(
                "owner_id",
                "string",
                paths=(("owner", "user", "id"), ("owner", "service_account", "id")),
            ),
            Field("owner_project_access", "string", known=("active", "inactive")),
            Field("expires_at", _TS),
            # The owner whole (name, email, role, ...) besides the two columns read from it.
            Field("owner", "json"),
        ),
        references=(
            PROJECT_REF,
            Reference(
                "unknown_key_owner",
                "owner_id",
                "project_users",
                same_project=True,
                when=("owner_type", "user"),
                unverifiable_when=(
                    "owner_project_access",
                    "inactive",
                    "the key is inactive: its owner is no longer a member of the project",
                ),
            ),
            Reference(
                "unknown_key_owner",
                "owner_id",
                "project_service_accounts",
                same_project=True,
                when=("owner_type", "service_account"),
                unverifiable_when=(
                    "owner_project_access",
                    "inactive",
                    "the key is inactive: its owner is no longer a member of the project",
                ),
            ),
        ),
        # Without it the API "may exclude some enabled keys" (SDK 3.51.0): usage could then
        # name keys never listed.
        list_query=(("owner_project_access", "any"),),
        description="API keys of one project; owners are users or service accounts.",
    ),
    Endpoint(
        name="admin_api_keys",
        path="admin_api_keys",
        object="organization.admin_api_key",
        pagination="cursor",
        attributes=(
            Field("name", "string"),
            Field("redacted_value", "string", required=True),
            Field("created_at", _TS, required=True, nullable=False),
            Field("last_used_at", _TS),
            Field("owner_type", "string", paths=(("owner", "type"),)),
            Field("owner_id", "string", paths=(("owner", "id"),)),
            Field("expires_at", _TS),
            Field("owner", "json"),  # the owner whole: name, role, created_at, ...
        ),
        references=(Reference("unknown_user", "owner_id", "users", when=("owner_type", "user")),),
        max_limit=None,  # the API documents no maximum (PostHog's source asks for 100)
        page_size=20,  # its documented default
        description="Admin API keys of the organization.",
    ),
    Endpoint(
        name="invites",
        path="invites",
        object="organization.invite",
        pagination="cursor",
        attributes=(
            Field("email", "string", required=True),
            Field("role", "string", required=True, known=("owner", "reader")),
            Field("status", "string", required=True, known=("accepted", "expired", "pending")),
            Field("created_at", _TS, required=True, nullable=False),
            Field("expires_at", _TS),
            Field("accepted_at", _TS),
            Field("projects", "json"),  # [{id, role}] granted on acceptance
        ),
        description="Invitations to the organization, and the projects each grants.",
    ),
    Endpoint(
        name="certificates",
        path="certificates",
        object="organization.certificate",
        pagination="cursor",
        attributes=_CERTIFICATE_FIELDS,
        description="Certificates uploaded to the organization.",
    ),
    Endpoint(
        name="project_certificates",
        path="projects/{project_id}/certificates",
        object="organization.project.certificate",
        pagination="cursor",
        attributes=_CERTIFICATE_FIELDS,
        references=(PROJECT_REF, Reference("unknown_certificate", "id", "certificates")),
        description="Organization certificates as seen (active or not) by one project.",
    ),
    Endpoint(
        name="project_rate_limits",
        path="projects/{project_id}/rate_limits",
        object="project.rate_limit",
        pagination="cursor",
        attributes=(
            Field("model", "string", required=True),
            Field("max_requests_per_1_minute", "integer", required=True, nullable=False),
            Field("max_tokens_per_1_minute", "integer", required=True, nullable=False),
            # present for the models they apply to
            Field("max_images_per_1_minute", "integer"),
            Field("max_audio_megabytes_per_1_minute", "integer"),
            Field("max_requests_per_1_day", "integer"),
            Field("batch_1_day_max_input_tokens", "integer"),
        ),
        references=(PROJECT_REF,),
        description="Rate limits of one project, per model (the context of its usage).",
    ),
    Endpoint(
        name="audit_logs",
        path="audit_logs",
        object=None,  # the SDK's items carry no `object`
        pagination="cursor",
        attributes=(
            Field("effective_at", _TS, required=True, nullable=False),
            Field("type", "string", required=True, nullable=False, known=AUDIT_LOG_TYPES),
            Field("actor_type", "string", paths=(("actor", "type"),)),  # session or api_key
            Field("actor_session_user_id", "string", paths=(("actor", "session", "user", "id"),)),
            Field(
                "actor_session_user_email", "string", paths=(("actor", "session", "user", "email"),)
            ),
            Field(
                "actor_session_ip_address", "string", paths=(("actor", "session", "ip_address"),)
            ),
            Field("actor_api_key_id", "string", paths=(("actor", "api_key", "id"),)),
            Field("actor_api_key_type", "string", paths=(("actor", "api_key", "type"),)),
            Field("actor_api_key_user_id", "string", paths=(("actor", "api_key", "user", "id"),)),
            Field(
                "actor_api_key_user_email",
                "string",
                paths=(("actor", "api_key", "user", "email"),),
            ),
            Field(
                "actor_api_key_service_account_id",
                "string",
                paths=(("actor", "api_key", "service_account", "id"),),
            ),
            Field("project_id", "string", paths=(("project", "id"),)),
            Field("project_name", "string", paths=(("project", "name"),)),
            # The whole actor besides the columns read out of it: sessions carry more than the
            # SDK declares (user_agent, ip_address_details in the API's own examples).
            Field("actor", "json"),
            # The event's details sit under a key equal to its type ("api_key.deleted": {...}).
            Field("payload", "json", keyed_by="type"),
        ),
        # History names what no longer exists: its ids are not checked, they explain (a
        # deletion event turns a dangling reference into an allowed one).
        max_limit=100,
        description=(
            "The organization's audit log (empty unless audit logging is enabled); each "
            "event's details are kept whole in `payload`."
        ),
    ),
)

REGISTRY: dict[str, Endpoint] = {e.name: e for e in ENDPOINTS}


def by_api_path(path: str) -> tuple[Endpoint, str | None] | None:
    """Match a request path (``/v1/organization/...``) to an endpoint and its project id."""
    rest = path.removeprefix("/v1/organization/").strip("/")
    for endpoint in ENDPOINTS:
        pattern = endpoint.path.split("/")
        parts = rest.split("/")
        if len(pattern) != len(parts):
            continue
        project_id = None
        for want, got in zip(pattern, parts, strict=True):
            if want == "{project_id}":
                project_id = got
            elif want != got:
                break
        else:
            return endpoint, project_id
    return None
