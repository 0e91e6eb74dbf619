"""Pure judgements shared by the sync and async executors: what a response or a transport error means.

The rule that keeps signups from being duplicated lives here: a retry is offered only when the request
certainly was not processed (no connection, or 429); after a timeout, a reset or a 5xx the outcome is unknown.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from .._errors import ApiError, Location, NetworkError, RequestError
from ..manifest.model import OutcomeRules
from ..redact import MASK, MIN_SECRET_LENGTH, url_userinfo
from .config import OnConflict
from .endpoint import is_loopback, resolve
from .outcome import Outcome, Status
from .retry import parse_retry_after

MAX_SNIPPET = 200
MAX_BODY_SHOWN = 8192
_NOT_SENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError, httpx.InvalidURL)


@dataclass(frozen=True)
class Context:
    """What the messages about one request need to know; no secret is ever shown, only used to scrub."""

    statement: int
    label: str | None
    rules: OutcomeRules
    url: str
    base: str
    read_timeout: float
    credential_hint: str
    token_url: str | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    on_conflict: OnConflict = "fail"
    body: Any = field(default=None, repr=False)  # the request's, for a row the manifest builds from it


@dataclass(frozen=True)
class Verdict:
    """The outcome of one attempt and, when it may be retried, why and the server's `Retry-After`."""

    outcome: Outcome
    retry_reason: str | None = None
    retry_after: float | None = None
    follow: str | None = None  # on_conflict="existing": GET this URL (the existing entitlement) to finish


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret value masked, longest first so a secret inside another is caught too."""
    for secret in _maskable(secrets):
        if secret in text:
            text = text.replace(secret, MASK)
    # Userinfo needs an '@': most strings of a large answer (a SELECT's pages) skip the regex.
    return url_userinfo(text) if "@" in text else text


@functools.lru_cache(maxsize=32)
def _maskable(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The secrets long enough to mask, longest first: worked out once, not per string of an answer."""
    return tuple(s for s in sorted(secrets, key=len, reverse=True) if len(s) >= MIN_SECRET_LENGTH)


def judge_response(response: httpx.Response, ctx: Context, attempts: int) -> Verdict:
    """The verdict on an HTTP answer: success, a retryable 429, a failure, or (5xx) an unknown outcome."""
    verdict = _judge_response(response, ctx, attempts)
    # Only a 2xx row is the answer's parsed body; a 409's row can come from the request (`existing`).
    from_body = 200 <= response.status_code < 300
    clean = from_body and _plain_body_clean(response.content, ctx.secrets)
    return _echo_scrubbed(verdict, ctx.secrets, clean)


def _echo_scrubbed(verdict: Verdict, secrets: tuple[str, ...], body_clean: bool = False) -> Verdict:
    """The verdict with whatever the server echoed (request id, the row) masked where it holds a secret:
    a server may repeat the link token or a credential it was sent."""
    outcome = verdict.outcome
    request_id = scrub(outcome.request_id, secrets) if outcome.request_id else outcome.request_id
    row = outcome.row
    if row is not None and not body_clean:
        row = scrub_value(row, secrets)
    if isinstance(outcome.error, ApiError) and outcome.error.request_id:
        outcome.error.request_id = scrub(outcome.error.request_id, secrets)  # made here, not shared yet
    return replace(verdict, outcome=replace(outcome, request_id=request_id, row=row))


def scrub_value(value: Any, secrets: tuple[str, ...]) -> Any:
    """A JSON value with every secret masked inside its strings (keys included)."""
    if isinstance(value, (dict, list)) and not _may_hold_secret(value, secrets):
        return value  # the usual answer: one C-speed look instead of a walk over every string
    return _scrub_each(value, secrets)


def _plain_body_clean(raw: bytes, secrets: tuple[str, ...]) -> bool:
    """Whether an answer's bytes certainly hold no secret and no userinfo in any string parsed from them.

    Only for printable ASCII with no backslash (no escape, so every parsed string is a slice of the
    text whatever the charset) and no NUL (UTF-16/32 always has some): then a plain search is exact.
    """
    if not raw.isascii() or b"\\" in raw or b"@" in raw or b"\x00" in raw:
        return False
    text = raw.decode("ascii")
    return not any(secret in text for secret in _maskable(secrets))


def _may_hold_secret(value: Any, secrets: tuple[str, ...]) -> bool:
    """Whether any string in `value` may hold a secret or a URL's userinfo; False only when certain.

    JSON escapes character by character, so a string holding a secret holds the secret's escaped form in
    the dumped text; userinfo needs an '@', which is never escaped.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return True
    if "@" in text:
        return True
    return any(json.dumps(secret, ensure_ascii=False)[1:-1] in text for secret in _maskable(secrets))


def _scrub_each(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {scrub(str(k), secrets): _scrub_each(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_each(v, secrets) for v in value]
    return value


def _judge_response(response: httpx.Response, ctx: Context, attempts: int) -> Verdict:
    status = response.status_code
    request_id = response.headers.get("X-Request-Id")
    if 200 <= status < 300:
        row = _json(response)
        return Verdict(
            Outcome(
                ctx.statement,
                ctx.label,
                "succeeded",
                row=row if isinstance(row, dict) else None,
                http_status=status,
                request_id=request_id,
                attempts=attempts,
            )
        )
    error = api_error(response, ctx, attempts)
    verdict_status: Status = "unknown" if status >= 500 or status == 303 else "failed"
    outcome = Outcome(
        ctx.statement,
        ctx.label,
        verdict_status,
        error=error,
        http_status=status,
        request_id=request_id,
        attempts=attempts,
    )
    if status == 429:
        return Verdict(
            outcome, "429 Too Many Requests", parse_retry_after(response.headers.get("Retry-After"))
        )
    if status == 409 and ctx.on_conflict == "existing":
        return _already_there(response, ctx, outcome)
    return Verdict(outcome)


# --- on_conflict="existing": a 409 that says the object is already there is the statement's result ---

EXISTING = "existing"


def _already_there(response: httpx.Response, ctx: Context, conflict: Outcome) -> Verdict:
    """The verdict on a 409 when re-runs may find their object already there, as the manifest's
    `x-outcome.existing` says: named by the request itself (done already: success, nothing changed), or
    at the 409's `Location`, which the executor GETs (`follow`)."""
    existing = ctx.rules.existing
    if existing is None:
        return Verdict(
            _with_hint(conflict, "the manifest declares no way to find the existing object (x-outcome)")
        )
    if existing.at == "request":
        row = existing_row(existing.row, ctx.body, ctx.secrets)
        return Verdict(replace(conflict, status="succeeded", row=row, error=None, existing=True))
    location = response.headers.get("Location")
    what = existing.what
    if not location:
        return Verdict(
            _with_hint(
                conflict,
                f"the API named no existing {what} (no Location header), "
                "so --on-conflict existing cannot report it",
            )
        )
    try:
        target = resolve(ctx.base, location)
        elsewhere = _origin(target) != _origin(ctx.base)
    except (ValueError, httpx.InvalidURL):
        return Verdict(_with_hint(conflict, "the API's Location header is not a URL"))
    if elsewhere:
        # Credentials go only where the requests go: never to a host the answer names.
        return Verdict(
            _with_hint(
                conflict, f"the existing {what} is on another host ({_origin(target)}); it was not looked up"
            )
        )
    return Verdict(conflict, follow=target)


def judge_existing(
    response: httpx.Response | None, exc: BaseException | None, ctx: Context, conflict: Outcome
) -> Verdict:
    """The verdict on the GET of an existing object after a 409; a GET changes nothing, so a
    transport error, a 429 or a 5xx may be retried."""
    return _echo_scrubbed(_judge_existing(response, exc, ctx, conflict), ctx.secrets)


def _judge_existing(
    response: httpx.Response | None, exc: BaseException | None, ctx: Context, conflict: Outcome
) -> Verdict:
    existing = ctx.rules.existing
    assert existing is not None
    what = existing.what
    if response is None:
        reason = _one_line(scrub(str(exc) or type(exc).__name__, ctx.secrets))
        failed = _with_hint(conflict, f"looking up the existing {what} failed: {reason}; re-run")
        return Verdict(failed, retry_reason=f"looking up the existing {what} failed ({reason})")
    status = response.status_code
    if status != 200:
        reason = f"{status} {httpx.codes.get_reason_phrase(status) or 'HTTP'}"
        hint = f"looking up the existing {what} answered {reason}"
        if status in (401, 403) and existing.scope:
            hint += f"; the credentials need the {existing.scope} scope to read {what}s"
        failed = _with_hint(conflict, hint)
        if status == 429 or status >= 500:
            return Verdict(
                failed,
                f"{reason} (existing {what})",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        return Verdict(failed)
    row = existing_row(existing.row, _json(response), ctx.secrets)
    result_id = row.get(ctx.rules.id) if ctx.rules.id else None
    if ctx.rules.id and (not isinstance(result_id, str) or not result_id):
        incomplete = existing.incomplete or f"the existing {what} names no {ctx.rules.id}"
        return Verdict(_with_hint(conflict, incomplete))
    return Verdict(replace(conflict, status="succeeded", row=row, error=None, existing=True))


_FIELD = re.compile(r"\{([^{}]+)\}")


def existing_row(
    template: tuple[tuple[str, Any], ...], source: Any, secrets: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The result row `x-outcome.existing.row` describes, filled from `source` (the found object)."""
    row: dict[str, Any] = {}
    for column, value in template:
        if not isinstance(value, str):
            row[column] = value
            continue
        whole = _FIELD.fullmatch(value)
        if whole is not None:
            row[column] = _at(source, whole.group(1))
            continue
        text = _FIELD.sub(lambda m: _shown(_at(source, m.group(1))), " ".join(value.split()))
        row[column] = scrub(text, secrets)
    return row


def _at(source: Any, path: str) -> Any:
    node = source
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _shown(value: Any) -> str:
    return "?" if value is None else value if isinstance(value, str) else json.dumps(value)


def _with_hint(outcome: Outcome, note: str) -> Outcome:
    """The failed 409, with why `--on-conflict existing` could not turn it into a result added to its hint."""
    error = outcome.error
    if not isinstance(error, ApiError):
        return outcome
    noted = ApiError(
        error.message,
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        request_id=error.request_id,
        hint=f"{error.hint}; {note}" if error.hint else note,
        location=error.location,
        body=error.body,
    )
    return replace(outcome, error=noted)


def api_error(response: httpx.Response, ctx: Context, attempts: int) -> ApiError:
    """One-line `ApiError` for a non-2xx answer: `409 Conflict: code: detail (request id X)` plus a hint."""
    status = response.status_code
    # The standard phrase, not the server's: messages stay the same whatever the proxy in between.
    reason = httpx.codes.get_reason_phrase(status) or response.reason_phrase or "HTTP"
    request_id = response.headers.get("X-Request-Id")
    errors = _failure_errors(response)
    first = errors[0] if errors else {}
    code = _text(first.get("code"))
    title = _text(first.get("title"))
    texts = [t for t in map(_error_text, errors) if t]
    if not texts and not errors:
        texts = _fallback_text(response)
    summary = "; ".join(dict.fromkeys(texts[:3])) + (f" (+{len(texts) - 3} more)" if len(texts) > 3 else "")
    parts = [f"{status} {reason}"] + [p for p in (code, summary) if p]
    tail = [f"{attempts} attempts"] if attempts > 1 else []
    if request_id:
        tail.append(f"request id {request_id}")
    message = ": ".join(parts) + (f" ({'; '.join(tail)})" if tail else "")
    if status >= 500 or status == 303:
        message += "; the outcome is unknown"
    hint = _hint(status, response, errors, ctx)
    return ApiError(
        _one_line(scrub(message, ctx.secrets)),
        status=status,
        code=scrub(code, ctx.secrets) if code else None,
        title=scrub(title, ctx.secrets) if title else None,
        detail=scrub(_text(first.get("detail")), ctx.secrets) or None,
        request_id=request_id,
        hint=scrub(hint, ctx.secrets) if hint else None,
        location=Location(statement=ctx.statement),
        body=scrub(_body_text(response), ctx.secrets),
    )


def _body_text(response: httpx.Response) -> str:
    """The response body on one line, cut at MAX_BODY_SHOWN characters (a proxy's page can be large)."""
    text = response.text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")  # JSON stays valid
    return text if len(text) <= MAX_BODY_SHOWN else text[:MAX_BODY_SHOWN] + "..."


def unknown_hint(ctx: Context) -> str:
    """What to do when a request may or may not have been processed."""
    if is_loopback(ctx.base):
        # No URL: with --endpoint local the emulator's port is gone once the command ends.
        where = "the emulator's state shows what it stored (GET /_emulator/state with its credentials)"
    else:
        where = ctx.rules.check or "check whether it was done before re-running"
    safe = ctx.rules.rerun or "re-running may do it twice"
    return f"it may have been processed: {where}; {safe}"


def _hint(status: int, response: httpx.Response, errors: list[dict[str, Any]], ctx: Context) -> str | None:
    if status == 400 or status == 422:
        fields = _fields(errors)
        if fields:
            return f"the API rejected {', '.join(fields)}: correct the statement and re-run"
        return "the API rejected the request body: check it against DESCRIBE METHOD"
    if status == 401:
        challenge = _challenge_text(response.headers.get("WWW-Authenticate"))
        return ctx.credential_hint + (f" (the server says: {challenge})" if challenge else "")
    if status == 403:
        needs = ctx.rules.forbidden or "ask the API's owner which rights or scopes this method needs"
        return f"the credentials were accepted but may not do this: {needs}"
    if status == 409:
        location = response.headers.get("Location")
        text = ctx.rules.conflict or "the API says it exists already"
        text += f" ({location})" if location else ""
        if ctx.on_conflict == "fail" and ctx.rules.existing is not None:
            text += "; to take what is already there as the result, re-run with --on-conflict existing"
        return text
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        after = f"wait {wait:g} s" if wait is not None else "wait"
        return f"the API is rate limiting these credentials; nothing was processed: {after} and re-run"
    if status >= 500 or status == 303:
        return unknown_hint(ctx)
    if status in (404, 405):
        return f"the server at {url_userinfo(ctx.base)} does not offer this operation: check --endpoint"
    if 300 <= status < 400:
        location = response.headers.get("Location")
        return (
            "the endpoint redirects"
            + (f" to {location}" if location else "")
            + ": pass that URL to --endpoint"
        )
    return None


def judge_exception(
    exc: httpx.HTTPError | RequestError, ctx: Context, attempts: int, main: httpx.Request
) -> Verdict:
    """The verdict on a transport error: retryable only if the request cannot have reached the API."""
    where = Location(statement=ctx.statement)
    if isinstance(exc, RequestError):  # raised by the auth flow: the token was refused
        exc.location = exc.location or where
        status: Status = "unknown" if isinstance(exc, NetworkError) and exc.outcome_unknown else "failed"
        outcome = Outcome(ctx.statement, ctx.label, status, error=exc, attempts=attempts)
        # A rate-limited token request sent nothing to the API: as safe to retry as any 429.
        limited = isinstance(exc, ApiError) and exc.status == 429
        return Verdict(outcome, "429 Too Many Requests (token endpoint)" if limited else None)
    detail = _one_line(scrub(str(exc) or type(exc).__name__, ctx.secrets))
    sent_request = _request_of(exc)
    token_phase = sent_request is not None and sent_request is not main
    counted = f" ({attempts} attempts)" if attempts > 1 else ""
    # Shown in messages only: an endpoint's password (http://user:PW@host) is masked there.
    target = url_userinfo(ctx.token_url if token_phase and ctx.token_url else ctx.url)
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        tls = "CERTIFICATE" in detail.upper() or "SSL" in detail.upper()
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else detail
        error = NetworkError(
            f"could not connect to {_origin(target)}: {what}{counted}; nothing was sent",
            hint=(
                "the server's TLS certificate is not trusted: fix the trust store, "
                "or pass --insecure for a test server"
                if tls
                else "check --endpoint, the network and any proxy settings, then re-run"
            ),
            location=where,
        )
        outcome = Outcome(ctx.statement, ctx.label, "failed", error=error, attempts=attempts)
        # A refused connection or failed handshake never carried the request: retrying cannot duplicate it.
        return Verdict(outcome, None if tls else f"could not connect ({what})")
    if isinstance(exc, _NOT_SENT):
        error = NetworkError(
            f"could not send to {target}: {detail}; nothing was sent",
            hint="check --endpoint and any proxy settings",
            location=where,
        )
        return Verdict(Outcome(ctx.statement, ctx.label, "failed", error=error, attempts=attempts))
    reason = _lost_reason(exc, ctx)
    if token_phase:
        error = NetworkError(
            f"token request to {target} failed: {reason}{counted}; the request itself was not sent",
            hint="check --endpoint and the network, then re-run",
            location=where,
        )
        return Verdict(Outcome(ctx.statement, ctx.label, "failed", error=error, attempts=attempts))
    error = NetworkError(
        f"{reason} ({target}){counted}: the outcome is unknown",
        outcome_unknown=True,
        hint=unknown_hint(ctx),
        location=where,
    )
    return Verdict(Outcome(ctx.statement, ctx.label, "unknown", error=error, attempts=attempts))


def _lost_reason(exc: httpx.HTTPError, ctx: Context) -> str:
    if isinstance(exc, httpx.ReadTimeout):
        return f"no answer within {ctx.read_timeout:g} s (--timeout)"
    if isinstance(exc, httpx.WriteTimeout):
        return "timed out while sending the request"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without a complete answer"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return "the connection was lost"
    return f"the request failed ({type(exc).__name__})"


def _request_of(exc: httpx.HTTPError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # httpx raises when no request was attached
        return None


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return None


def _failure_errors(response: httpx.Response) -> list[dict[str, Any]]:
    body = _json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        return [e for e in errors if isinstance(e, dict)]
    if isinstance(body, dict) and ("code" in body or "message" in body or "error" in body):
        # Not a Failure, but close enough to read (e.g. `{"error_code": 40101, "message": "..."}`).
        return [
            {
                "code": body.get("code") or body.get("error"),
                "detail": body.get("message") or body.get("error_description"),
            }
        ]
    return []


def _fallback_text(response: httpx.Response) -> list[str]:
    """A short snippet of a non-JSON error body (a proxy's HTML page, say), or nothing."""
    kind = response.headers.get("Content-Type", "")
    if not response.content or not (kind.startswith("text/") or "json" in kind):
        return []
    text = " ".join(response.text.split())
    return [text[:MAX_SNIPPET] + ("..." if len(text) > MAX_SNIPPET else "")] if text else []


def _fields(errors: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for item in errors:
        source = item.get("source")
        if not isinstance(source, dict):
            continue
        pointer, parameter = source.get("pointer"), source.get("parameter")
        if isinstance(pointer, str) and pointer.strip("/"):
            steps = pointer.strip("/").split("/")
            found.append(".".join(p.replace("~1", "/").replace("~0", "~") for p in steps))
        if isinstance(parameter, str) and parameter:
            found.append("@" + parameter)
    return list(dict.fromkeys(found))


def _challenge_text(header: str | None) -> str | None:
    if not header:
        return None
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower().endswith("error_description"):
            return value.strip().strip('"') or None
    return None


def _error_text(item: dict[str, Any]) -> str:
    """What one `Error` says: its detail, else its title, else its message."""
    return _text(item.get("detail")) or _text(item.get("title")) or _text(item.get("message"))


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
