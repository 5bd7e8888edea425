"""The request pipeline: from what the transport read to the answer it sends.

For ``/api/v2/...`` paths:

0. the transport answers what it cannot read: malformed framing (400), a body over 1 MiB
   (413), oversized headers (431), all as JSON;
1. fault plan (delay / drop / fail / rate limit, see :mod:`.faults`);
2. a method no LaunchDarkly route serves (HEAD, OPTIONS, TRACE, ...): 405 with ``Allow``;
3. ``Authorization`` (401), ``LD-API-Version`` (400);
4. route (404 unknown path, 405 unsupported method), read-only token on a write (403),
   beta-only routes (403);
5. body parsing (400 invalid JSON or nested deeper than 64 levels), handler;
6. response check against the spec (``validate_responses``), request log entry.

``/_emulator/...`` admin paths skip all of that (no token, no faults, not logged).
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from . import admin, spec
from .errors import MAX_MESSAGE, ApiError, invalid, not_found, shorten
from .faults import gateway_page
from .messages import DEFAULT_API_VERSION, HTML, Request, Response, parse_json
from .routes import ROUTES
from .routing import SERVED_METHODS, check_query_types, match_route, method_not_allowed
from .server import HttpAnswer, HttpRequest

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["API_PREFIX", "API_VERSIONS", "SEMANTIC_PATCH", "dispatch", "serve"]

API_PREFIX = "/api/"
API_VERSIONS = ("20240415", "beta")
EOL_API_VERSIONS = ("20191212", "20210729", "20220603")
SEMANTIC_PATCH = "domain-model=launchdarkly.semanticpatch"

_PROBLEM_CODES = {
    400: "invalid_request",
    413: "request_too_large",
    431: "request_header_fields_too_large",
    501: "not_implemented",
}


def serve(emu: Emulator, http: HttpRequest) -> HttpAnswer:
    """The transport's entry point: admin paths, fault plan, dispatch, request log."""
    path = urlsplit(http.target).path
    if http.problem is not None:
        refusal = _problem(*http.problem)
        if path.startswith(API_PREFIX):
            emu.log.record(http.method, http.target, http.headers, http.body, refusal.status)
        if emu.verbose:
            _verbose(http, refusal.status)
        return refusal.encode()
    if admin.is_admin(path):
        return admin.answer(emu, http.method, path, http.body).encode()

    plan = emu.faults.plan(http.method, path)
    if plan.delay_before:
        emu.faults.sleep(plan.delay_before)
    response: Response | None
    if plan.drop_before:
        response = None
    elif plan.fail_html and plan.fail_status is not None:
        page = gateway_page(plan.fail_status)
        response = Response(
            plan.fail_status, None, dict(plan.fail_headers), raw=page, content_type=HTML
        )
    elif plan.fail_status is not None:
        response = Response(plan.fail_status, plan.fail_body, dict(plan.fail_headers))
    else:
        response = dispatch(emu, http.method, http.target, dict(http.headers), http.body)
        response.headers.update(plan.extra_headers)
    if plan.delay_after:
        emu.faults.sleep(plan.delay_after)
    dropped = plan.drop_before or plan.drop_after or response is None
    logged_status = None if dropped or response is None else response.status
    emu.log.record(http.method, http.target, http.headers, http.body, logged_status)
    if emu.verbose:
        _verbose(http, logged_status)
    if dropped or response is None:
        return HttpAnswer(drop=True)
    return response.encode()


def _verbose(http: HttpRequest, status: int | None) -> None:
    shown = "dropped" if status is None else str(status)
    line = f"{http.method or '-'} {shorten(http.target or '-', 200)} -> {shown}"
    print(f"ld-emulator: {line}", file=sys.stderr, flush=True)


def _problem(status: int, message: str) -> Response:
    """The JSON answer to a request the transport could not read."""
    text = message if status == 413 else f"Malformed HTTP request: {shorten(message, 200)}"
    code = _PROBLEM_CODES.get(status, "invalid_request")
    return Response(status, {"code": code, "message": text})


def dispatch(
    emu: Emulator, method: str, target: str, headers: dict[str, str], raw: bytes
) -> Response:
    """Answer one API request (no faults, no logging). Never raises.

    ``headers`` are matched case-insensitively.
    """
    parts = urlsplit(target)
    req = Request(
        method=method.upper(),
        path=parts.path,
        query={k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
        headers={k.lower(): v for k, v in headers.items()},
        raw_body=raw,
    )
    try:
        response = _handle(emu, req)
    except ApiError as exc:
        response = Response(exc.status, exc.body(), dict(exc.headers))
    except Exception as exc:  # the emulator must answer, whatever happens
        traceback.print_exc()
        response = Response(
            500,
            {
                "code": "internal_server_error",
                "message": shorten(f"emulator error: {exc!r}", MAX_MESSAGE),
            },
        )
    if emu.validate_responses:
        response = _checked(req, response)
    return response


def _checked(req: Request, response: Response) -> Response:
    """``response``, or a 500 ``response_schema_violation`` if the spec does not allow it."""
    name: str | None
    if (
        response.status == 204
        and response.body is None
        and response.template is not None
        and 204 in spec.declared_statuses(response.template, req.method)
    ):
        return response  # No Content, as the operation declares
    if response.status >= 400:
        name = "InvalidRequestErrorRep"
    elif response.template is not None:
        name = spec.response_schema_name(response.template, req.method, response.status)
    else:
        name = None
    problem = None if name is None else spec.validation_problem(name, response.body)
    if name is None and response.status < 400:
        problem = spec.SpecError("", "no response schema declared for this answer")
    if problem is None:
        return response
    return Response(
        500,
        {
            "code": "response_schema_violation",
            "message": f"{req.method} {req.path} -> {response.status} does not match "
            f"{name}: {problem.message}",
        },
    )


def _handle(emu: Emulator, req: Request) -> Response:
    if req.method not in SERVED_METHODS:
        found = match_route(ROUTES, req.path)
        if found is None:
            raise not_found(f"Unknown resource path {shorten(req.path, 200)}")
        raise method_not_allowed(found[0], req.method, req.path)
    _authenticate(emu, req)
    _api_version(req)

    method = req.method
    if method == "POST" and req.headers.get("x-http-method-override"):
        method = req.headers["x-http-method-override"].upper()
        req.method = method
    found = match_route(ROUTES, req.path)
    if found is None:
        raise not_found(f"Unknown resource path {shorten(req.path, 200)}")
    route, req.params = found
    handler = route.methods.get(method)
    if handler is None:
        raise method_not_allowed(route, method, req.path)
    check_query_types(route, method, req.query)
    if method != "GET" and req.read_only:
        raise ApiError(
            403, "forbidden", "This access token is read-only; writes need a writer token"
        )
    if route.beta and req.api_version != "beta":
        raise ApiError(
            403, "forbidden", "This resource is in beta: send the header 'LD-API-Version: beta'"
        )
    if method in ("POST", "PATCH", "PUT"):
        semantic = SEMANTIC_PATCH in req.headers.get("content-type", "")
        if method == "PATCH" and route.json_patch and semantic:
            raise invalid(
                "this resource is changed with a JSON Patch (an array of operations such as "
                '[{"op": "replace", "path": "/name", "value": "..."}]), not a semantic patch: '
                "send it with 'Content-Type: application/json'"
            )
        if method == "PATCH" and not route.json_patch and not semantic:
            if route.json_patch_declared:
                raise invalid(
                    "PATCH without 'Content-Type: application/json; "
                    "domain-model=launchdarkly.semanticpatch' is read as a JSON Patch or JSON "
                    "merge patch: LaunchDarkly accepts those here, the emulator does not emulate "
                    "them; send a semantic patch with that Content-Type"
                )
            raise invalid(
                "PATCH without 'Content-Type: application/json; "
                "domain-model=launchdarkly.semanticpatch' is read as a JSON Patch, which this "
                "resource does not accept; send a semantic patch with that Content-Type"
            )
        req.body = parse_json(req.raw_body)
    response = handler(emu, req)
    response.template = route.template
    return response


def _authenticate(emu: Emulator, req: Request) -> None:
    token = req.headers.get("authorization")
    if not token:
        raise ApiError(401, "unauthorized", "No access token in the Authorization header")
    service = token in emu.service_tokens
    if token not in emu.tokens and token not in emu.read_only_tokens and not service:
        hint = ""
        if token.lower().startswith("bearer "):
            hint = " (send the token itself, without a 'Bearer' prefix)"
        raise ApiError(401, "unauthorized", f"Invalid access token{hint}")
    req.read_only = token in emu.read_only_tokens and token not in emu.tokens and not service
    req.member_id = None if service else emu.catalog.member_id


def _api_version(req: Request) -> None:
    version = req.headers.get("ld-api-version")
    if version is None:
        return
    if version in EOL_API_VERSIONS:
        raise invalid(
            f"LD-API-Version {version} is past its end of life; use {DEFAULT_API_VERSION}"
        )
    if version not in API_VERSIONS:
        raise invalid(
            f"Invalid LD-API-Version header '{shorten(version, 40)}' (supported: "
            f"{', '.join(API_VERSIONS)})"
        )
    req.api_version = version
