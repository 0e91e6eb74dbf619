"""Take a whole script through render, parse, bind, validate and plan before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import Error, ValidationError
from .answer import describe, show, unsupported
from .bind import BODY_PREFIX, Binder, BindState, Call
from .manifest import Registry
from .plan import PlannedRequest, plan
from .redact import Redactor, secret_values
from .render import render
from .results import ResultSet
from .sql import splitter
from .sql.fastpath import Prefixes, parse_statement
from .sql.lexical import first_code
from .sql.statements import (
    Describe,
    Exec,
    Query,
    RegistryCommand,
    Show,
    ShowExecTemplate,
    ShowInsertTemplate,
    Unsupported,
    Use,
)

if TYPE_CHECKING:
    from .query.insert import Returning
    from .query.select import SelectPlan


@dataclass(frozen=True)
class Step:
    """What one statement became: an answer to print, a request to send, or a query to run.

    An INSERT of several rows is several steps of one number; `shaped` ones show their answer through
    `returning` (or show nothing without RETURNING, as StackQL). A `query` (SELECT) runs at its place.
    """

    number: int
    answer: ResultSet | None = None
    request: PlannedRequest | None = None
    warning: str | None = None
    notice: str | None = None  # a message for stderr that is not a warning (REGISTRY PULL's)
    verb: str = ""  # the statement's keyword (EXEC, SHOW, DESCRIBE, USE): a Postgres command tag
    query: SelectPlan | None = None
    returning: Returning | None = None
    shaped: bool = False

    def shaped_row(self, row: dict[str, Any] | None) -> dict[str, Any] | None:
        """What an INSERT row's answer shows: its RETURNING row, or nothing without RETURNING."""
        if self.returning is None:
            return None
        records = self.returning.present(row, self.number).records()
        return records[0] if records else None


class Validators:
    """One compiled JSON Schema validator per method, built on first use."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def check(self, call: Call, binder: Binder, statement: Exec) -> None:
        method = call.method
        if method.body_schema is None or call.body is None:
            return
        validator = self._cache.get(method.key)
        if validator is None:
            from .validate import BodyValidator  # jsonschema is imported only for bodies it must explain

            validator = BodyValidator(call.target.service.document, method.body_schema)
            self._cache[method.key] = validator
        violations = validator.violations(call.body)
        if violations:
            count = len(violations)
            raise ValidationError(
                f"the request body of {method.name} is invalid ({count} problem{'s' if count > 1 else ''})",
                violations=tuple(str(v) for v in violations),
                location=binder.where(statement, _offending_item(statement, violations[0].path)),
                hint=f"DESCRIBE METHOD {method.key} lists the inputs; fix the fields above",
            )


def _offending_item(statement: Exec, path: tuple[str | int, ...]) -> int | None:
    """Where the item carrying the first violation's top-level field stands: its `@name=`, else `@@json`."""
    field = path[0] if path else None
    for param in statement.params:
        if field in (param.name, BODY_PREFIX + str(field)) and param.at >= 0:
            return param.at
    body = statement.json_body
    return body.at if body is not None and body.at >= 0 else None


def prepare(script: str, variables: Mapping[str, Any], registry: Registry) -> list[Step]:
    """Every statement of the script, checked; the first error raises before any request is sent."""
    return Preparer(registry).prepare(script, variables)


class Preparer:
    """Prepares script after script against one registry, remembering `USE` and labels in between."""

    def __init__(self, registry: Registry, state: BindState | None = None) -> None:
        self.registry = registry
        self.state = state if state is not None else BindState()
        self.validators = Validators()
        # SELECT plans by their text, statement number and default provider: a query run again (a poll,
        # a Postgres client's repeated statement) is not parsed and checked again.
        self.plans: dict[tuple[str, int, str | None], SelectPlan] = {}

    def prepare(self, script: str, variables: Mapping[str, Any]) -> list[Step]:
        """All steps of `script`; on an error, nothing this script did to the remembered state is kept."""
        saved = self.state.copy()
        try:
            steps = iter_prepare(script, variables, self.registry, self.state, self.validators, self.plans)
            return list(steps)
        except BaseException:
            self.state = saved
            raise


def iter_prepare(
    script: str,
    variables: Mapping[str, Any],
    registry: Registry,
    state: BindState | None = None,
    validators: Validators | None = None,
    plans: dict[tuple[str, int, str | None], SelectPlan] | None = None,
) -> Iterator[Step]:
    """The steps of `script`; an error's text has every secret in it masked."""
    try:
        yield from _steps(script, variables, registry, state, validators, plans)
    except Error as exc:
        names = registry.secret_names()
        raise Redactor(names, secret_values(variables, names)).error(exc) from None


def _steps(
    script: str,
    variables: Mapping[str, Any],
    registry: Registry,
    state: BindState | None,
    validators: Validators | None,
    plans: dict[tuple[str, int, str | None], SelectPlan] | None,
) -> Iterator[Step]:
    sql = render(script, variables)
    binder = Binder(registry, sql, state)
    validators = validators or Validators()
    prefixes: Prefixes = {}
    for number, chunk in enumerate(splitter.split(sql), start=1):
        statement = parse_statement(sql, chunk, number, prefixes)
        if isinstance(statement, Exec):
            call = binder.bind(statement)
            validators.check(call, binder, statement)
            _refuse_placeholders(call, binder, statement)
            warning = None
            if "AWAIT" in statement.hints:
                warning = f"method {call.method.name} is not awaitable; the AWAIT hint is ignored"
            yield Step(number, request=plan(call), warning=warning, verb="EXEC")
            continue
        first = chunk.offset + first_code(chunk.text)
        where = splitter.location(sql, first, number, (chunk.offset, chunk.line))
        if isinstance(statement, Show):
            yield Step(number, answer=show(statement, registry, binder.default_provider, where), verb="SHOW")
        elif isinstance(statement, Describe):
            yield Step(
                number, answer=describe(statement, registry, binder.default_provider, where), verb="DESCRIBE"
            )
        elif isinstance(statement, Use):
            registry.provider(statement.provider, where)
            binder.default_provider = statement.provider
            yield Step(number, verb="USE")
        elif isinstance(statement, ShowExecTemplate):
            from .exec_template import exec_template

            answer = exec_template(statement, registry, binder.default_provider, where)
            yield Step(number, answer=answer, verb="SHOW")
        elif isinstance(statement, Query):
            from .query.steps import query_steps  # imports sqlglot and sqlite3: only for SQL statements

            yield from query_steps(statement, registry, binder.default_provider, where, plans)
        elif isinstance(statement, ShowInsertTemplate):
            from .query.template import insert_template

            answer = insert_template(statement, registry, binder.default_provider, where)
            yield Step(number, answer=answer, verb="SHOW")
        elif isinstance(statement, Unsupported):
            unsupported(statement, registry, binder.default_provider, where)
        elif isinstance(statement, RegistryCommand):
            from .answer_registry import answer_registry

            answered = answer_registry(statement, registry, where)
            yield Step(number, answer=answered.result, notice=answered.notice, verb="REGISTRY")


def _refuse_placeholders(call: Call, binder: Binder, statement: Exec) -> None:
    """A value still reading PASTE-...-HERE would reach the API as real data: refused, naming the field."""
    from .placeholders import placeholder_in

    params = {name: value for name, value in (*call.query, *call.path_params)}
    found = placeholder_in(call.body, "") if call.body is not None else None
    found = found or placeholder_in(params)
    if found is None:
        return
    field, text = found
    shown = "a placeholder" if binder_secret(call, field) else repr(text)
    raise ValidationError(
        f"{field} still holds {shown}, not a real value",
        location=binder.where(statement),
        hint="put the real value in the data file or --var (examples: copy link.yaml to link.local.yaml)",
    )


def binder_secret(call: Call, field: str) -> bool:
    """Whether `field` is one of the call's secret fields (its placeholder text is not repeated either)."""
    return any(".".join(map(str, path)) == field for path in call.secret_paths)
