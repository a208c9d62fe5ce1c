"""One exception hierarchy for the API, mapped to ``{"error", "detail", "field"?}`` bodies.

Controllers raise :class:`ApiError` subclasses; Litestar's own errors (unknown route, bad
query parameter) are translated here too, so every error a client sees has one shape.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
)
from litestar.types import ExceptionHandlersMap

log = logging.getLogger(__name__)


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The JSON body of every error response."""

    error: str
    detail: str
    field: str | None = None


class ApiError(Exception):
    """Base of the API's errors: ``status`` and ``code`` say what the client did wrong.

    Subclasses name both in the class line (``class X(ApiError, status=404,
    code="not_found")``), so each error is declared once and registered in
    :data:`ERROR_CODES`, which also names Litestar's own errors of that status."""

    status = 500
    code = "internal_error"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None and code is not None:  # else: the parent's status and code
            cls.status, cls.code = status, code
            ERROR_CODES[status] = code

    def __init__(
        self, detail: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.headers = headers or {}


#: ``error`` code per HTTP status: the ApiError subclasses' (added as they are declared),
#: and the statuses only Litestar raises.
ERROR_CODES: dict[int, str] = {
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
}


class BadRequestError(ApiError, status=400, code="invalid_request"):
    """A malformed query or path parameter."""


class UnauthorizedError(ApiError, status=401, code="unauthorized"):
    """No or bad credentials (answered with ``WWW-Authenticate``)."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail, field, {"WWW-Authenticate": 'Bearer realm="srs"'})


class ForbiddenError(ApiError, status=403, code="forbidden"):
    """Authenticated, but the role or tenant does not allow it."""


class NotFoundError(ApiError, status=404, code="not_found"):
    """The resource does not exist or is not visible to the caller."""


class ConflictError(ApiError, status=409, code="conflict"):
    """The request contradicts the resource's state (legal hold, not live, duplicate)."""


class RangeNotSatisfiableError(ApiError, status=416, code="range_not_satisfiable"):
    """The requested byte range lies outside the file."""


class UnprocessableError(ApiError, status=422, code="invalid_value"):
    """Well-formed, but a value breaks a rule (flag out of 0-10, bad tag, unknown role)."""


class UnavailableError(ApiError, status=503, code="unavailable"):
    """The server cannot answer now (e.g. the database is unreachable)."""


class Refusal(Protocol):
    """A domain error that names its ``field`` and whether it is a ``conflict`` with the
    stored state (``AccountError``, ``CatalogError``)."""

    field: str
    conflict: bool


def refused(exc: Refusal) -> ConflictError | UnprocessableError:
    """A domain refusal as the API answers it: 409 for a conflict, else 422."""
    cls = ConflictError if exc.conflict else UnprocessableError
    return cls(str(exc), field=exc.field)


def _response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return _response(exc.status, ErrorBody(exc.code, exc.detail, exc.field), exc.headers)


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client used: a parameter's query alias (``from``), not the Python one."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters[key]
    except (AttributeError, KeyError):
        return key
    definition = parameter.kwarg_definition
    alias = getattr(definition, "query", None) or getattr(definition, "name", None)
    return alias if isinstance(alias, str) and alias else key


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's parameter errors → 400 naming the first offending field; a request body
    that parses but breaks the schema (wrong type, value out of range) → 422."""
    field: str | None = None
    detail = exc.detail
    extra = exc.extra if isinstance(exc.extra, list) else []
    if extra and isinstance(extra[0], dict) and extra[0].get("source") == "body":
        body_key = str(extra[0].get("key") or "") or None
        body_message = str(extra[0].get("message") or detail)
        return _response(422, ErrorBody("invalid_value", body_message, body_key))
    if extra and isinstance(extra[0], dict):
        key = extra[0].get("key")
        field = _public_name(request, str(key)) if key else None
        message = extra[0].get("message")
        if message:
            detail = f"{field}: {message}" if field else str(message)
    return _response(400, ErrorBody("invalid_request", detail, field))


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = ERROR_CODES.get(exc.status_code, "http_error")
    return _response(exc.status_code, ErrorBody(code, exc.detail), dict(exc.headers or {}))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error in %s %s", request.method, request.url.path)
    return _response(500, ErrorBody("internal_error", "internal server error"))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApiError: api_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}


ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["error", "detail"],
    properties={
        "error": Schema(type=OpenAPIType.STRING, description="Machine-readable code"),
        "detail": Schema(type=OpenAPIType.STRING, description="What was wrong"),
        "field": Schema(
            type=[OpenAPIType.STRING, OpenAPIType.NULL], description="The offending field"
        ),
    },
    description="The body of every error response",
)
_DESCRIPTIONS = {
    "400": "Malformed request (a parameter names the field)",
    "401": "No valid credentials",
    "403": "The role may not do this",
    "404": "Not found (or belongs to another tenant)",
    "409": "Conflicts with the resource's state",
    "422": "A value breaks a rule",
}


def document_errors(schema: OpenAPI) -> None:
    """Make the OpenAPI document tell the truth about errors: every 4xx uses the
    ``ErrorBody`` shape (Litestar documents its own, which clients never see), and
    authenticated operations list 401/403, those with path parameters 404 (and 409 when
    they change something), those with a body 422."""
    components = schema.components
    components.schemas = dict(components.schemas or {})
    components.schemas["ErrorBody"] = ERROR_SCHEMA
    ref = Reference(ref="#/components/schemas/ErrorBody")
    for path, item in (schema.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            wanted = {code for code in responses if code.startswith("4")}
            if operation.security != [{}] and path.startswith("/api/"):
                wanted |= {"401", "403"}
            if "{" in path:
                wanted.add("404")
                if method != "get":
                    wanted.add("409")
            if operation.request_body is not None:
                wanted.add("422")
            for code in sorted(wanted):
                responses[code] = OpenAPIResponse(
                    description=_DESCRIPTIONS.get(code, "Error"),
                    content={MediaType.JSON: OpenAPIMediaType(schema=ref)},
                )
            operation.responses = responses
