"""The emulated API as a function from request to response: routing, auth, validation, faults, operations."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ..validate import Violation
from .auth import Authenticator, Denied, Principal, TokenGrant, token_digest
from .config import MAX_BODY_BYTES, EmulatorConfig
from .faults import Faults
from .messages import Request, Response, error, failure, json_response, single_failure
from .requestlog import RequestLog
from .schemas import ACTIVATE_PATH, LINK_PATH, SIGNUP_PATH, RequestSchemas
from .store import (
    Conflict,
    Created,
    EntitlementLink,
    EntitlementRecord,
    NewEntitlement,
    NewOrganization,
    NewUser,
    OrganizationRecord,
    Outcome,
    Rejected,
    Store,
    quoted,
)

ENTITLEMENTS_PATH = "/partner/v2/entitlements"
ORGANIZATIONS_PATH = "/partner/v2/organizations"
TOKEN_PATH = "/oauth2/token"
MAX_DEPTH = 32
"""Deepest JSON nesting accepted in a body: the schemas need 4 levels; this bounds recursion."""

_ENTITLEMENT_URL = re.compile(r"/partner/v2/entitlements/([^/]+)/?$")
_MISSING = object()

Handler = Callable[[Request, Principal], Response]


class EmulatorApp:
    """Answers requests for one emulator; every part it uses is passed in (no global state)."""

    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        schemas: RequestSchemas,
        base_url: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.store = store
        self.schemas = schemas
        self.base_url = base_url
        self.auth = Authenticator(config.api_key, config.api_secret, clock)
        self.faults = Faults(config, clock)
        self.log = RequestLog()
        self._operations: dict[str, tuple[Handler, str]] = {
            SIGNUP_PATH: (self._signup, "partner:create"),
            ACTIVATE_PATH: (self._activate, "partner:create"),
            LINK_PATH: (self._link, "partner:create"),
            ENTITLEMENTS_PATH: (self._create_entitlement, "partner:create"),
        }
        self._admin: dict[str, tuple[str, Callable[[Request], Response]]] = {
            "/_emulator/state": ("GET", self._admin_state),
            "/_emulator/requests": ("GET", self._admin_requests),
            "/_emulator/link-tokens": ("POST", self._admin_link_token),
            "/_emulator/shutdown": ("POST", self._admin_shutdown),
        }

    # --- routing --------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """The answer to one request (the server adds X-Request-Id and writes it)."""
        path, method = request.path, request.method
        if path in (ENTITLEMENTS_PATH, ORGANIZATIONS_PATH) and method == "GET":
            return self._api(request, self._list, "partner:describe")
        operation = self._operations.get(path)
        if operation is not None:
            if method != "POST":
                return _not_allowed(method, path, "GET, POST" if path == ENTITLEMENTS_PATH else "POST")
            return self._api(request, *operation)
        if path == ORGANIZATIONS_PATH:
            return _not_allowed(method, path, "GET")
        if path.startswith(ENTITLEMENTS_PATH + "/"):
            entitlement_id = unquote(path[len(ENTITLEMENTS_PATH) + 1 :])
            if entitlement_id and "/" not in entitlement_id:
                if method != "GET":
                    return _not_allowed(method, path, "GET")
                return self._api(
                    request, lambda r, who: self._get_entitlement(entitlement_id, r, who), "partner:describe"
                )
        if path.startswith(ORGANIZATIONS_PATH + "/"):
            organization_id = unquote(path[len(ORGANIZATIONS_PATH) + 1 :])
            if organization_id and "/" not in organization_id:
                if method != "GET":
                    return _not_allowed(method, path, "GET")
                return self._api(
                    request, lambda r, who: self._get_organization(organization_id, who), "partner:describe"
                )
        if path == TOKEN_PATH:
            return self._token(request) if method == "POST" else _not_allowed(method, path, "POST")
        admin = self._admin.get(path)
        if admin is not None:
            allowed, handler = admin
            response = handler(request) if method == allowed else _not_allowed(method, path, allowed)
            return replace(response, logged=False)
        return single_failure(404, "not_found", "Not Found", f"There is no resource at {quoted(path)}")

    def too_large(self, length: int) -> Response:
        """The 413 for a body over MAX_BODY_BYTES (decided from Content-Length; the body is never read)."""
        return replace(
            single_failure(
                413,
                "request_too_large",
                "Request Entity Too Large",
                f"The request body ({length} bytes) is larger than the limit of {MAX_BODY_BYTES} bytes",
            ),
            close=True,
        )

    def _api(self, request: Request, handler: Handler, scope: str) -> Response:
        """An API operation with its faults and authentication around it."""
        rate = self.faults.rate()
        extra = rate.headers() if rate is not None else ()
        if rate is not None and not rate.allowed:
            response = Response(429, b"", content_type=None)
        elif self.faults.fail():
            response = single_failure(
                500,
                "internal_error",
                "Internal Server Error",
                "An injected fault (--fail-rate): the request was not processed; retrying it is safe",
            )
        else:
            who = self.auth.authenticate(request.headers.get("authorization"))
            if isinstance(who, Denied):
                response = single_failure(
                    401,
                    "user_unauthenticated",
                    "Authentication Required",
                    who.detail,
                    headers=(("WWW-Authenticate", who.challenge),),
                )
            elif not who.allows(scope):
                response = single_failure(
                    403,
                    "user_unauthorized",
                    "User Access Unauthorized",
                    f"The access token's scope does not include '{scope}', which this operation needs",
                )
            else:
                response = handler(request, who)
        return replace(response, headers=response.headers + extra, api=True, delay=self.faults.latency_s)

    # --- operations -----------------------------------------------------------------------------

    def _signup(self, request: Request, who: Principal) -> Response:
        errors: list[dict[str, Any]] = []
        dry_run = _dry_run(request.query, errors)
        body = self._validated_body(request, self.schemas.signup.violations, errors)
        if errors or not isinstance(body, dict):
            return failure(400, errors)
        entitlement = self._entitlement_input(body["entitlement"], errors)
        if entitlement is None:
            return failure(400, errors)
        org = body["organization"]
        user = _user(body.get("user"))
        outcome = self.store.signup(
            who.partner,
            NewOrganization(org["name"], org["sso_config"]["kind"], org["sso_config"]["tenant_id"]),
            user,
            entitlement,
            dry_run,
        )
        if user is None:
            message = (
                f"Organization '{org['name']}' was created. Call /partner/v2/signup/activate with the"
                " first user's details to complete the signup."
            )
        else:
            message = f"Welcome to Confluent Cloud! Organization '{org['name']}' is ready."
        return self._answer(outcome, dry_run, message)

    def _activate(self, request: Request, who: Principal) -> Response:
        errors: list[dict[str, Any]] = []
        body = self._validated_body(request, self.schemas.activate.violations, errors)
        if errors or not isinstance(body, dict):
            return failure(400, errors)
        user = _user(body["user"])
        assert user is not None  # required by the schema
        outcome = self.store.activate(who.partner, body["organization_id"], user)
        return self._answer(outcome, False, "The signup is complete: the first user was created.")

    def _link(self, request: Request, who: Principal) -> Response:
        errors: list[dict[str, Any]] = []
        dry_run = _dry_run(request.query, errors)
        body = self._validated_body(request, self.schemas.link.violations, errors)
        if errors or not isinstance(body, dict):
            return failure(400, errors)
        entitlement = self._entitlement_input(body["entitlement"], errors)
        if entitlement is None:
            return failure(400, errors)
        # The token is a secret: it is hashed at once and never echoed or logged.
        outcome = self.store.link(who.partner, token_digest(body["token"]), entitlement, dry_run)
        return self._answer(outcome, dry_run, "The entitlement was linked to the existing organization.")

    def _create_entitlement(self, request: Request, who: Principal) -> Response:
        errors: list[dict[str, Any]] = []
        body = self._validated_body(request, self.schemas.entitlement.violations, errors)
        if errors or not isinstance(body, dict):
            return failure(400, errors)
        reference = body.get("organization")
        organization_id = reference.get("id") if isinstance(reference, dict) else None
        outcome = self.store.create_entitlement(who.partner, _new_entitlement(body), organization_id)
        if not isinstance(outcome, Created) or outcome.entitlement_id is None:
            return self._answer(outcome, False, "")  # a conflict: the same external_id exists
        record = self.store.entitlement(who.partner, outcome.entitlement_id)
        assert record is not None  # just committed; entitlements are never deleted
        location = self._entitlement_url(record.id)
        return json_response(201, self._entitlement_json(record), (("Location", location),))

    def _get_entitlement(self, entitlement_id: str, request: Request, who: Principal) -> Response:
        record = self.store.entitlement(who.partner, entitlement_id)
        scope = parse_qs(request.query, keep_blank_values=True).get("organization.id")
        if record is None or (scope and record.organization_id != scope[-1]):
            return single_failure(
                404, "not_found", "Not Found", f"The entitlement {quoted(entitlement_id)} does not exist"
            )
        return json_response(200, self._entitlement_json(record))

    def _get_organization(self, organization_id: str, who: Principal) -> Response:
        record = self.store.organization(who.partner, organization_id)
        if record is None:
            return single_failure(
                404, "not_found", "Not Found", f"The organization {quoted(organization_id)} does not exist"
            )
        return json_response(200, self._organization_json(record))

    def _list(self, request: Request, who: Principal) -> Response:
        """GET a list: sorted by creation, `page_size` (default 10, at most 100) rows after `page_token`."""
        query = parse_qs(request.query, keep_blank_values=True)
        errors: list[dict[str, Any]] = []
        size = _page_size(query.get("page_size"), errors)
        after = _page_position(query.get("page_token"), errors)
        if errors:
            return failure(400, errors)
        if request.path == ORGANIZATIONS_PATH:
            page_o = self.store.organizations_page(who.partner, after, size)
            kind, items, total, last = (
                "OrganizationList",
                [self._organization_json(r) for r in page_o.records],
                page_o.total,
                page_o.last,
            )
            kept: list[tuple[str, str]] = []
        else:
            scope = query.get("organization.id")
            organization_id = scope[-1] if scope else None
            page_e = self.store.entitlements_page(who.partner, organization_id, after, size)
            kind, items, total, last = (
                "EntitlementList",
                [self._entitlement_json(r) for r in page_e.records],
                page_e.total,
                page_e.last,
            )
            kept = [] if organization_id is None else [("organization.id", organization_id)]
        if "page_size" in query:
            kept.append(("page_size", str(size)))
        link = f"{self.base_url}{request.path}"
        metadata: dict[str, Any] = {
            "first": link + ("?" + urlencode(kept) if kept else ""),
            "total_size": total,
        }
        if last is not None:
            metadata["next"] = link + "?" + urlencode([*kept, ("page_token", _token_for(last))])
        return json_response(
            200, {"api_version": "partner/v2", "kind": kind, "metadata": metadata, "data": items}
        )

    def _organization_url(self, organization_id: str) -> str:
        return f"{self.base_url}{ORGANIZATIONS_PATH}/{quote(organization_id, safe='')}"

    def _organization_json(self, record: OrganizationRecord) -> dict[str, Any]:
        """An organization as the API shows it (partner.v2.Organization)."""
        return {
            "api_version": "partner/v2",
            "kind": "Organization",
            "id": record.id,
            "metadata": {
                "self": self._organization_url(record.id),
                "resource_name": f"crn://confluent.cloud/organization={record.id}",
                "created_at": record.created_at,
            },
            "name": record.name,
            "sso_url": record.sso_url,
            "sso_config": {"kind": record.sso_kind, "tenant_id": record.sso_tenant_id},
        }

    def _answer(self, outcome: Outcome, dry_run: bool, message: str) -> Response:
        """The HTTP answer for a store outcome; a committed signup may be dropped (--drop-after-commit)."""
        if isinstance(outcome, Conflict):
            headers: tuple[tuple[str, str], ...] = ()
            if outcome.entitlement_id is not None:
                headers = (("Location", self._entitlement_url(outcome.entitlement_id)),)
            return single_failure(
                409, "resource_already_exists", "Resource Already Exists", outcome.detail, headers=headers
            )
        if isinstance(outcome, Rejected):
            return single_failure(
                400, "invalid_input", "Invalid Input", outcome.detail, pointer=outcome.pointer
            )
        if dry_run:
            message = "Dry run: the request is valid; nothing was created."
        elif self.faults.drop():
            return Response(0, drop=True)
        return json_response(
            201,
            {
                "organization_id": outcome.organization_id,
                "sso_url": outcome.sso_url,
                "display_message": message,
            },
        )

    # --- bodies ---------------------------------------------------------------------------------

    def _validated_body(
        self,
        request: Request,
        violations: Callable[[Any], list[Violation]],
        errors: list[dict[str, Any]],
    ) -> Any:
        """The JSON body when it is valid against the schema; otherwise adds errors and returns _MISSING."""
        body = _json_body(request, errors)
        if body is _MISSING:
            return _MISSING
        found = violations(body)
        for violation in found:
            errors.append(
                error(400, "invalid_input", "Invalid Input", str(violation), pointer=violation.pointer)
            )
        return _MISSING if found else body

    def _entitlement_input(
        self, value: Mapping[str, Any], errors: list[dict[str, Any]]
    ) -> NewEntitlement | EntitlementLink | None:
        """Details or a reference (the schema's oneOf guarantees exactly one, told apart by `related`)."""
        if "related" not in value:
            return _new_entitlement(value)
        try:
            match = _ENTITLEMENT_URL.search(urlsplit(value["related"]).path)
        except ValueError:  # not a URL at all (urlsplit refuses, e.g., "http://[")
            match = None
        if match is None:
            errors.append(
                error(
                    400,
                    "invalid_input",
                    "Invalid Input",
                    f"entitlement.related: must be the URL of an entitlement, like "
                    f"{self.base_url}{ENTITLEMENTS_PATH}/<id>",
                    pointer="/entitlement/related",
                )
            )
            return None
        entitlement_id = unquote(match.group(1))
        if "id" in value and value["id"] != entitlement_id:
            errors.append(
                error(
                    400,
                    "invalid_input",
                    "Invalid Input",
                    "entitlement.id: does not match the entitlement named by entitlement.related",
                    pointer="/entitlement/id",
                )
            )
            return None
        return EntitlementLink(entitlement_id)

    def _entitlement_url(self, entitlement_id: str) -> str:
        return f"{self.base_url}{ENTITLEMENTS_PATH}/{quote(entitlement_id, safe='')}"

    def _entitlement_json(self, record: EntitlementRecord) -> dict[str, Any]:
        """An entitlement as the API shows it (partner.v2.Entitlement)."""
        out: dict[str, Any] = {
            "api_version": "partner/v2",
            "kind": "Entitlement",
            "id": record.id,
            "metadata": {
                "self": self._entitlement_url(record.id),
                "resource_name": f"crn://confluent.cloud/entitlement={record.id}",
                "created_at": record.created_at,
            },
            "external_id": record.external_id,
            "name": record.name,
            "plan_id": record.plan_id,
            "product_id": record.product_id,
        }
        if record.usage_reporting_id is not None:
            out["usage_reporting_id"] = record.usage_reporting_id
        if record.resource_id is not None:
            out["resource_id"] = record.resource_id
        if record.organization_id is not None:
            org = record.organization_id
            out["organization"] = {
                "id": org,
                "related": self._organization_url(org),
                "resource_name": f"crn://confluent.cloud/organization={org}",
            }
        return out

    # --- OAuth2 and admin routes ----------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        """POST /oauth2/token: the client-credentials grant (RFC 6749 section 4.4)."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            return json_response(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "send an application/x-www-form-urlencoded body",
                },
            )
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        outcome = self.auth.issue(form, request.headers.get("authorization"))
        no_store = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
        if isinstance(outcome, TokenGrant):
            grant = {
                "access_token": outcome.access_token,
                "token_type": "Bearer",
                "expires_in": outcome.expires_in,
                "scope": outcome.scope,
            }
            return json_response(200, grant, no_store)
        headers = (
            (*no_store, ("WWW-Authenticate", 'Basic realm="oauth2"')) if outcome.status == 401 else no_store
        )
        return json_response(
            outcome.status, {"error": outcome.error, "error_description": outcome.description}, headers
        )

    def _admin_state(self, request: Request) -> Response:
        return json_response(200, self.store.snapshot())

    def _admin_requests(self, request: Request) -> Response:
        return json_response(200, self.log.as_json())

    def _admin_link_token(self, request: Request) -> Response:
        """Issue a link token for an organization (what the customer's Confluent Cloud would hand out)."""
        errors: list[dict[str, Any]] = []
        body = _json_body(request, errors)
        if errors:
            return failure(400, errors)
        organization_id = body.get("organization_id") if isinstance(body, dict) else None
        if not isinstance(organization_id, str) or not organization_id:
            return single_failure(
                400,
                "invalid_input",
                "Invalid Input",
                "organization_id: required string",
                pointer="/organization_id",
            )
        token = secrets.token_urlsafe(32)
        if not self.store.issue_link_token(organization_id, token_digest(token)):
            return single_failure(
                400,
                "invalid_input",
                "Invalid Input",
                f"The organization {quoted(organization_id)} does not exist",
                pointer="/organization_id",
            )
        return json_response(201, {"token": token})

    def _admin_shutdown(self, request: Request) -> Response:
        return replace(json_response(200, {"status": "stopping"}), shutdown=True, close=True)


# --- helpers ------------------------------------------------------------------------------------


def _not_allowed(method: str, path: str, allowed: str) -> Response:
    return single_failure(
        405,
        "method_not_allowed",
        "Method Not Allowed",
        f"{quoted(method, 16)} is not allowed on {quoted(path)}; use {allowed}",
        headers=(("Allow", allowed),),
    )


def _dry_run(query: str, errors: list[dict[str, Any]]) -> bool:
    """The `dry_run` query parameter: absent, `true` or `false`; anything else adds an error."""
    values = parse_qs(query, keep_blank_values=True).get("dry_run", [])
    if not values:
        return False
    if len(values) == 1 and values[0] in ("true", "false"):
        return values[0] == "true"
    errors.append(
        error(
            400,
            "invalid_parameter",
            "Invalid Parameter",
            "dry_run: must be true or false" + (", given once" if len(values) > 1 else ""),
            parameter="dry_run",
        )
    )
    return False


MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
_TOKEN_PREFIX = "after:"


def _page_size(values: list[str] | None, errors: list[dict[str, Any]]) -> int:
    """`page_size`: absent (10) or an integer from 1 to 100; anything else adds an error."""
    if not values or values == [""]:  # empty, as a filled-in template leaves it: the default
        return DEFAULT_PAGE_SIZE
    text = values[-1]
    if text.isdigit() and 1 <= int(text) <= MAX_PAGE_SIZE and len(values) == 1:
        return int(text)
    errors.append(
        error(
            400,
            "invalid_parameter",
            "Invalid Parameter",
            f"page_size: must be an integer from 1 to {MAX_PAGE_SIZE}, given once",
            parameter="page_size",
        )
    )
    return DEFAULT_PAGE_SIZE


def _token_for(position: int) -> str:
    """An opaque page token: clients pass it back as it is; it names the position to continue after."""
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{position}".encode()).decode().rstrip("=")


def _page_position(values: list[str] | None, errors: list[dict[str, Any]]) -> int:
    if not values or values == [""]:  # empty: the first page
        return 0
    token = values[-1]
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        text = ""
    number = text[len(_TOKEN_PREFIX) :] if text.startswith(_TOKEN_PREFIX) else ""
    if number.isdigit() and len(values) == 1:
        return int(number)
    errors.append(
        error(
            400,
            "invalid_parameter",
            "Invalid Parameter",
            "page_token: not a token this API issued (pass metadata.next's page_token as it is)",
            parameter="page_token",
        )
    )
    return 0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _json_body(request: Request, errors: list[dict[str, Any]]) -> Any:
    """The parsed JSON body, or _MISSING after adding the reason it cannot be read to `errors`."""
    content_type = request.headers.get("content-type")
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        errors.append(
            error(
                400,
                "invalid_content_type",
                "Invalid Content Type",
                "Send the body as JSON with 'Content-Type: application/json'"
                f" (got {quoted(content_type or 'none')})",
            )
        )
        return _MISSING
    problem = None
    value: Any = _MISSING
    if not request.body.strip():
        problem = "The request body is empty; send a JSON object"
    else:
        try:
            value = json.loads(request.body.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            problem = "The request body is not UTF-8 text"
        except RecursionError:
            problem = f"The request body is nested more than {MAX_DEPTH} levels deep"
        except ValueError as exc:
            problem = f"The request body is not valid JSON: {exc}"
        else:
            problem = _unusable(value, request.body)
    if problem is not None:
        errors.append(error(400, "invalid_json", "Invalid JSON", problem))
        return _MISSING
    return value


def _unusable(value: Any, raw: bytes) -> str | None:
    """Why a parsed body cannot be used although it is JSON (too deep, unpaired surrogates), or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"The request body is nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    if b"\\u" in raw:
        # A `\ud800` escape parses to a string that is not Unicode text; SQLite could not store it.
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "The request body contains an unpaired UTF-16 surrogate escape (like \\ud800)"
    return None


def _user(value: Any) -> NewUser | None:
    if not isinstance(value, dict):
        return None
    return NewUser(value["email"], value["given_name"], value["family_name"])


def _new_entitlement(value: Mapping[str, Any]) -> NewEntitlement:
    return NewEntitlement(
        value["external_id"],
        value["name"],
        value["plan_id"],
        value["product_id"],
        value.get("usage_reporting_id"),
        value.get("resource_id"),
    )
