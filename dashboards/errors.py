"""The one map from domain errors to HTTP statuses, installed on the app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from gis.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyRequests,
)

STATUS = {InvalidInput: 422, NotFound: 404, Conflict: 409, NotAuthenticated: 401, PermissionDenied: 403,
          TooManyRequests: 429}


def _body(message: str, field: str | None = None, problems: list | None = None) -> dict:
    body = {"detail": message}
    if field:
        body["field"] = field
    if problems:
        body["problems"] = problems
    return body


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, err: DomainError):
        status = next(code for cls, code in STATUS.items() if isinstance(err, cls))
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(_body(err.message, err.field, err.problems), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, err: RequestValidationError):
        problems = []
        for e in err.errors():
            loc = [str(p) for p in e["loc"] if p not in ("body", "query", "path", "header")]
            problems.append({"field": ".".join(loc) or "body", "message": e["msg"]})
        first = problems[0] if problems else {"field": "body", "message": "invalid request"}
        return JSONResponse(
            _body(f"{first['field']}: {first['message']}. Fix: correct {first['field']} and send again.",
                  first["field"], problems), status_code=422)

    @app.exception_handler(StaleDataError)
    async def stale(_request: Request, _err: StaleDataError):
        return JSONResponse(_body("The record was changed by someone else meanwhile. Fix: reload it and apply "
                                  "your change again."), status_code=409)

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, _err: IntegrityError):
        return JSONResponse(_body("The change collides with existing data (a duplicate or a missing reference). "
                                  "Fix: reload and check the identifiers."), status_code=409)
