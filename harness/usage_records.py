"""The registry's usage and costs records: billed usage in time buckets, one record each.

``endpoints.py`` puts them first in the registry, ahead of the directory listings. The record
types are in ``records.py``.
"""

from __future__ import annotations

from .records import PROJECT_REF, Endpoint, Field, Reference

# The usage endpoints' documented maxima of buckets per page, by bucket width.
_USAGE_LIMITS = (("1m", 1440), ("1h", 168), ("1d", 31))


def _dims(*names: str) -> tuple[Field, ...]:
    return tuple(Field(n, "boolean" if n == "batch" else "string") for n in names)


def _count(name: str, required: bool = True, aliases: tuple[str, ...] = ()) -> Field:
    return Field(
        name, "integer", required=required and not aliases, nullable=False, aliases=aliases
    )


def _optional_counts(*names: str) -> tuple[Field, ...]:
    """Counters the API added later: absent or null in older responses (the SDK's
    ``Optional[int]``), so both are legal."""
    return tuple(Field(n, "integer", nullable=True) for n in names)


# Completions' (and decisions') counters beyond the classic six (SDK 3.51.0). ``input_tokens``
# includes cached and cache-write tokens of every modality; ``input_audio_tokens`` now counts
# uncached audio only.
_TOKEN_SPLITS = _optional_counts(
    "input_cache_write_tokens",
    "input_cache_write_30m_tokens",
    "input_cache_write_12h_tokens",
    "input_uncached_tokens",
    "input_text_tokens",
    "output_text_tokens",
    "input_cached_text_tokens",
    "input_cached_audio_tokens",
    "input_image_tokens",
    "input_cached_image_tokens",
    "output_image_tokens",
)
_TOKENS = (
    _count("input_tokens"),
    _count("output_tokens"),
    _count("input_cached_tokens", required=False),
    _count("input_audio_tokens", required=False),
    _count("output_audio_tokens", required=False),
    _count("num_model_requests"),
    *_TOKEN_SPLITS,
)


_MODEL_DIMS = ("project_id", "user_id", "api_key_id", "model")
_USAGE_REFS = (
    PROJECT_REF,
    Reference("unknown_user", "user_id", "users"),
    Reference("unknown_api_key", "api_key_id", "project_api_keys", same_project=True),
)


def _usage(
    name: str,
    dims: tuple[str, ...],
    counters: tuple[Field, ...],
    doc: str,
    result: str = "",
    default_group_by: tuple[str, ...] | None = None,
) -> Endpoint:
    """A usage endpoint; ``result`` names its result object where that differs from the path
    (web_search_calls answers ``organization.usage.web_searches.result``)."""
    refs = tuple(r for r in _USAGE_REFS if r.field in dims)
    return Endpoint(
        name=f"usage_{name}",
        path=f"usage/{name}",
        object=f"organization.usage.{result or name}.result",
        pagination="page",
        dimensions=_dims(*dims),
        counters=counters,
        references=refs,
        max_limit=31,
        bucket_limits=_USAGE_LIMITS,
        default_group_by=default_group_by,
        description=doc,
    )


USAGE_ENDPOINTS: tuple[Endpoint, ...] = (
    _usage(
        "completions",
        (*_MODEL_DIMS, "batch", "service_tier", "api_source"),
        _TOKENS,
        "Token usage of chat/completions and responses.",
        default_group_by=(*_MODEL_DIMS, "batch", "service_tier"),  # api_source: opt-in
    ),
    _usage(
        "embeddings",
        _MODEL_DIMS,
        (_count("input_tokens"), _count("num_model_requests")),
        "Embedding tokens.",
    ),
    _usage(
        "moderations",
        _MODEL_DIMS,
        (_count("input_tokens"), _count("num_model_requests")),
        "Moderation tokens.",
    ),
    _usage(
        "images",
        (*_MODEL_DIMS, "source", "size"),
        (_count("images"), _count("num_model_requests")),
        "Generated, edited and varied images.",
    ),
    _usage(
        "audio_speeches",
        _MODEL_DIMS,
        (_count("characters"), _count("num_model_requests")),
        "Text-to-speech characters.",
    ),
    _usage(
        "audio_transcriptions",
        _MODEL_DIMS,
        (_count("seconds"), _count("num_model_requests")),
        "Transcribed audio seconds.",
    ),
    _usage(
        "vector_stores",
        ("project_id",),
        (_count("usage_bytes"),),
        "Vector store bytes (semantics of the value per bucket are not documented).",
    ),
    _usage(
        "code_interpreter_sessions",
        ("project_id",),
        (_count("num_sessions", aliases=("sessions",)),),
        "Code interpreter sessions; captures before 2025-02 name the counter `sessions`.",
    ),
    _usage(
        "web_search_calls",
        (*_MODEL_DIMS, "context_level", "api_source"),
        (_count("num_requests"), _count("num_model_requests")),
        "Web search tool calls (`context_level`: the search context size).",
        result="web_searches",
    ),
    _usage(
        "file_search_calls",
        ("project_id", "user_id", "api_key_id", "vector_store_id"),
        (_count("num_requests"),),
        "File search tool calls, by vector store.",
        result="file_searches",
    ),
    _usage(
        "decisions",
        (*_MODEL_DIMS, "batch", "service_tier", "api_source"),
        _TOKENS,
        "Token usage of the Decisions API (the completions result's fields).",
    ),
    Endpoint(
        name="costs",
        path="costs",
        object="organization.costs.result",
        pagination="page",
        dimensions=_dims("project_id", "line_item", "api_key_id", "user_id", "api_source"),
        counters=(Field("amount", "money"),),
        attributes=(Field("quantity", "number"), Field("quantity_unit", "string")),
        references=(
            PROJECT_REF,
            Reference("unknown_api_key", "api_key_id", "project_api_keys", same_project=True),
            Reference("unknown_user", "user_id", "users"),
        ),
        max_limit=180,
        bucket_limits=(("1d", 180),),
        # user_id beside project_id answers 400 for some organizations (SDK 3.51.0).
        default_group_by=("project_id", "line_item"),
        description=(
            "Billed amounts per day; `amount` sums `amount.value` in USD, per currency "
            "otherwise; an amount without a value adds nothing, one without a currency is "
            "summed apart as `amount_unknown`."
        ),
    ),
)
