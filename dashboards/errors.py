"""The one map from domain errors to HTTP statuses, installed on the app, and the one shape of every error
answer (:class:`ErrorOut`), which :func:`install` also writes into the OpenAPI document: on every operation,
for each 4xx status it can answer."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from gis.errors import (
    Conflict,
    DatabaseBusy,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ReadOnlyViolation,
    TooManyRequests,
)
from gis.ids import MAX_DB_INT
from outages.schemas import label

log = logging.getLogger(__name__)
STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    TooManyRequests: 429,
}


class Problem(BaseModel):
    """One thing wrong with the request or with a row of an uploaded file (files add where: ``row``,
    ``column``, ``sheet``, ``layer``, ``fix``)."""

    model_config = ConfigDict(extra="allow")
    message: str
    field: str | None = Field(None, description="The field at fault (dotted for nested ones, e.g. contacts.0.phone)")
    label: str | None = Field(
        None, description="The field as the forms label it, for a message shown apart from it (invalid input)"
    )


class ErrorOut(BaseModel):
    """Every error answer: what was wrong and how to fix it."""

    detail: str = Field(description="What was wrong, in plain words, and the fix")
    field: str | None = Field(None, description="The field at fault (invalid input)")
    problems: list[Problem] | None = Field(None, description="Every problem found (invalid input, imports)")


# the statuses every operation may answer with ErrorOut, and when (see _statuses for which operation gets which)
ERRORS = {
    400: "The body cannot be read (not JSON, form data or text as its Content-Type says).",
    401: "Not signed in, or the token is expired or not valid. Fix: sign in again.",
    403: "Your role may not do this.",
    404: "What the path names does not exist.",
    409: "The change collides with the current state: a stale version (reload and apply your change again), a "
    "duplicate, or a change to a closed record.",
    413: "The request body is larger than the service accepts.",
    422: "The input is not valid: `detail` says what and how to fix it, `field` names the field at fault and "
    "`problems` lists every problem found.",
    429: "Too many attempts: wait (see the Retry-After header) and try again.",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _body(message: str, field: str | None = None, problems: list | None = None) -> dict:
    body: dict[str, Any] = {"detail": message}
    if field:
        body["field"] = field
    if problems:
        body["problems"] = problems
    return body


def install(app: FastAPI) -> None:
    """Map errors to statuses and :class:`ErrorOut` answers, and document them on every operation."""
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(app, build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents replacing app.openapi this way

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, err: DomainError):
        status = next(code for cls, code in STATUS.items() if isinstance(err, cls))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(err, TooManyRequests) and err.retry_after is not None:
            headers = {"Retry-After": str(err.retry_after)}
        return JSONResponse(_body(err.message, err.field, err.problems), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError):
        problems = []
        for e in err.errors():
            loc = [str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")]
            field = ".".join(loc) or "body"
            problems.append({"field": field, "label": _label(request, field), "message": e["msg"]})
        first = problems[0] if problems else {"field": "body", "label": label("body"), "message": "invalid request"}
        detail = (
            f"{first['label']}: {first['message']}"
            if "Fix:" in first["message"]  # says its own fix
            else f"{first['label']}: {first['message']}. Fix: correct {first['label']} and send again."
        )
        return JSONResponse(_body(detail, first["field"], problems), status_code=422)

    @app.exception_handler(StaleDataError)
    async def stale(_request: Request, _err: StaleDataError):
        return JSONResponse(
            _body("The record was changed by someone else meanwhile. Fix: reload it and apply your change again."),
            status_code=409,
        )

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, _err: IntegrityError):
        return JSONResponse(
            _body(
                "The change collides with existing data (a duplicate or a missing reference). "
                "Fix: reload and check the identifiers."
            ),
            status_code=409,
        )

    @app.exception_handler(DatabaseBusy)
    async def busy(request: Request, err: DatabaseBusy):
        log.warning("%s %s: %s (answered 503)", request.method, request.url.path, err)
        return JSONResponse(_body(f"Nothing was changed: {err}"), status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(ReadOnlyViolation)
    async def read_only(request: Request, err: ReadOnlyViolation):
        log.error("%s %s: %s", request.method, request.url.path, err, exc_info=err)
        return JSONResponse(
            _body(
                "Nothing was changed: this operation is wrongly set up to only read (a fault in "
                "the service, logged for its maintainers). Fix: tell your administrator."
            ),
            status_code=500,
        )

    @app.exception_handler(OverflowError)
    async def overflow(request: Request, err: OverflowError):
        # the parameter types (gis.ids) keep numbers in range; this is the net under them
        log.warning("%s %s: %s (answered 422)", request.method, request.url.path, err, exc_info=err)
        return JSONResponse(
            _body(
                f"A number or a date in the request is too large for this service to store or "
                f"compute with (ids and counts go up to {MAX_DB_INT}). Fix: check the numbers "
                "and dates you sent."
            ),
            status_code=422,
        )

    @app.exception_handler(DataError)
    async def data_error(request: Request, err: DataError):
        log.warning("%s %s: %s (answered 422)", request.method, request.url.path, err.orig, exc_info=err)
        return JSONResponse(
            _body(
                "A value in the request does not fit the database (a number out of range or a "
                "text too long). Fix: check the values you sent."
            ),
            status_code=422,
        )


def _label(request: Request, field: str) -> str:
    """How a message names ``field`` (the machine name, dotted for nested ones): the title the route's body
    model gives that field, where it gives one (the same name may mean another thing in another form: a
    call's ``at``), else :func:`outages.schemas.label` ("meters.3" -> "Meters out (item 4)")."""
    route = request.scope.get("route")
    model = getattr(getattr(getattr(route, "body_field", None), "field_info", None), "annotation", None)
    first, _, rest = field.partition(".")
    info = model.model_fields.get(first) if isinstance(model, type) and issubclass(model, BaseModel) else None
    if info is not None and info.title:
        return info.title + (label(f"_.{rest}").removeprefix("_") if rest else "")
    return label(field)


def _routes(app: FastAPI) -> list:
    """The app's API routes, with the path they have in the app (FastAPI 0.165 keeps included routers whole
    in ``app.routes``; ``iter_route_contexts`` flattens them)."""
    contexts = getattr(routing, "iter_route_contexts", None)
    found = contexts(app.routes) if contexts else app.routes
    return [r for r in found if isinstance(getattr(r, "original_route", r), APIRoute)]


def _calls(dependant) -> list:
    """Every dependency callable under a route (its own and theirs, recursively)."""
    return [c for d in dependant.dependencies for c in (d.call, *_calls(d))]


def _statuses(route, operation: dict) -> set[int]:
    """The error statuses an operation can answer: 422 always (invalid input, a NUL character anywhere);
    401 when it needs a sign-in; 403 when it checks the role; 404 when its path names something; 409 for
    writes; 400 and 413 when it takes a body; and whatever the route declares itself (429 on rate-limited ones)."""
    found = {422} | {int(code) for code in operation.get("responses", {}) if code.isdigit() and int(code) in ERRORS}
    if operation.get("security"):
        found.add(401)
    if any(getattr(call, "roles", None) for call in _calls(route.dependant)):
        found.add(403)
    if route.dependant.path_params:
        found.add(404)
    if set(route.methods) & WRITES:
        found.add(409)
    if "requestBody" in operation:
        found |= {400, 413}
    return found


def _exact_bounds(node: Any) -> None:
    """FastAPI writes the bounds of body fields as floats, and 2**63 - 1 does not survive that: put exact
    integers back (an integer field bounded by 9.223372036854776e18 would let 2**63 through on paper)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                value = node.get(key)
                if isinstance(value, float) and value.is_integer():
                    node[key] = MAX_DB_INT if value == float(MAX_DB_INT) else int(value)
        for value in node.values():
            _exact_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _exact_bounds(value)


def document_errors(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as the app answers: FastAPI's HTTPValidationError (a list of problems under
    ``detail``) replaced by :class:`ErrorOut`, and every error status an operation can answer declared on it."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorOut"] = error_schema
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    routes = {
        (route.path_format, method.lower()): route
        for route in _routes(app)
        if route.include_in_schema
        for method in route.methods
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(route, operation)):
                declared = responses.setdefault(str(status), {})
                if status == 422 or not declared.get("description"):  # FastAPI's 422 says "Validation Error"
                    declared["description"] = ERRORS[status]
                declared["content"] = {"application/json": {"schema": ref}}
    _exact_bounds(schema)
    return schema
