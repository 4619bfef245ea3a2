"""What the registry is made of: the record of an endpoint, of its fields and references.

The records themselves, one per Admin API endpoint, are in ``endpoints.py``; this module holds
their types, the SQL type of each field type, and the rules they carry (page limits, the
archived-project rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

DEFAULT_BASE_URL = "https://api.openai.com"
DEFAULT_TIMEOUT = 60.0  # seconds per request

# "json": a nested object or array kept whole, as canonical JSON text (lists only).
FieldType = Literal["string", "integer", "boolean", "timestamp", "number", "money", "json"]
Pagination = Literal["page", "cursor"]

SQL_TYPES: dict[FieldType, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "number": "DOUBLE",
    "money": "DECIMAL(38,18)",
    "json": "JSON",
}


@dataclass(frozen=True)
class Field:
    """A field of a result or list item; its name is also its column name."""

    name: str
    type: FieldType
    required: bool = False
    nullable: bool = True
    # Where the value sits when it is not the top-level key ``name``; the first path present wins.
    paths: tuple[tuple[str, ...], ...] = ()
    # Older names the API used for the same value (code interpreter ``sessions``).
    aliases: tuple[str, ...] = ()
    enum: tuple[str, ...] = ()
    # The values the API documents for a field that grows (an audit log's ``type``, a role): a
    # value outside them is kept like any other and reported as drift, never refused.
    known: tuple[str, ...] = ()
    # The value sits under the key named by the value of this other field of the item (an
    # audit log's payload under its ``type``), not under ``name``.
    keyed_by: str | None = None

    @property
    def sources(self) -> tuple[tuple[str, ...], ...]:
        if self.keyed_by:
            return ()  # no fixed path: read_field looks up the key the item names
        if self.paths:
            return self.paths
        return ((self.name,), *((a,) for a in self.aliases))


@dataclass(frozen=True)
class Reference:
    """A value that must name an entity loaded from another endpoint (checked after ingest)."""

    kind: str  # relationshipIssues[].kind, e.g. "unknown_project"
    field: str  # column holding the id ("id" for the entity's own id)
    target: str  # registry name of the endpoint that lists the valid ids
    same_project: bool = False  # the target must belong to the same project as the row
    when: tuple[str, str] | None = None  # only rows whose column equals value, e.g. owner_type
    # Rows whose column equals value are expected not to resolve: (column, value, why). An
    # inactive project key's owner is, by definition, no longer a member of the project.
    unverifiable_when: tuple[str, str, str] | None = None


# The reference most endpoints make: a project id must name a listed project.
PROJECT_REF = Reference("unknown_project", "project_id", "projects")


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str  # below /v1/organization/; "{project_id}" marks a per-project listing
    # The `object` of each result (usage, costs) or list item; None where the API's items carry
    # none (audit logs: the SDK declares no `object`).
    object: str | None
    pagination: Pagination
    dimensions: tuple[Field, ...] = ()
    counters: tuple[Field, ...] = ()
    attributes: tuple[Field, ...] = ()
    references: tuple[Reference, ...] = ()
    # The largest ``limit`` the API accepts (usage and costs: buckets per page at 1d; lists:
    # objects per page); None where the API documents none (admin keys), so serve accepts any.
    max_limit: int | None = 100
    # What sync asks for per page, where that is not max_limit (the API's own default).
    page_size: int | None = None
    # Usage and costs: the bucket widths the API accepts, each with its most buckets per page.
    bucket_limits: tuple[tuple[str, int], ...] = ()
    # Query parameters every request of a list sends (projects: archived ones too).
    list_query: tuple[tuple[str, Any], ...] = ()
    # Usage and costs: the grouping sync and record ask for by default. Fixed once an endpoint
    # is registered: were it to grow with the registry, the next scheduled sync would store a
    # second grain beside the first, and sums across them would count money twice. None: every
    # dimension.
    default_group_by: tuple[str, ...] | None = None
    # The API answers 400 to this per-project list under an archived project, so references
    # into it from an archived project cannot be checked: unverifiable, not dangling.
    archived_400: bool = False
    description: str = ""

    @property
    def bucketed(self) -> bool:
        """Usage and costs: pages of time buckets, paginated with page/next_page."""
        return self.pagination == "page"

    @property
    def per_project(self) -> bool:
        return "{project_id}" in self.path

    @property
    def table(self) -> str:
        return self.name

    @property
    def api_path(self) -> str:
        return f"/v1/organization/{self.path}"

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.dimensions + self.counters + self.attributes

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.dimensions)

    @property
    def counter_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.counters)

    @property
    def sync_group_by(self) -> tuple[str, ...]:
        """The grouping sync asks for unless told otherwise (``default_group_by``)."""
        if self.default_group_by is not None:
            return self.default_group_by
        return self.dimension_names

    def unknown_dimensions(self, group_by: Iterable[str]) -> list[str]:
        """The names in ``group_by`` that are not dimensions of this endpoint, in order:
        what ``extra_dimensions`` keeps (models.py), and what serve and sync refuse."""
        known = self.dimension_names
        return [g for g in group_by if g not in known]

    @property
    def request_limit(self) -> int:
        """The ``limit`` sync (and record) send: page_size, or the largest the API accepts."""
        return self.page_size or self.max_limit or 20

    def page_limit(self, width: str | None = None) -> int | None:
        """The largest ``limit`` the API accepts: buckets per page at ``width`` (None for a
        width it refuses), or objects per page of a list (None: no documented maximum)."""
        if not self.bucketed:
            return self.max_limit
        return dict(self.bucket_limits).get(width or "1d")


# A project is archived when the API says so either way: ``archived_at`` set, or its status.
def project_archived(item: Mapping[str, Any]) -> bool:
    """The rule on a projects list item."""
    return item.get("archived_at") is not None or item.get("status") == "archived"


def project_archived_sql(alias: str) -> str:
    """The same rule on a row of the projects table or its staged relation."""
    return f"({alias}.archived_at IS NOT NULL OR {alias}.status = 'archived')"
