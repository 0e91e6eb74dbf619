"""A StackQL statement in pg-mimic's extended protocol: described without sending, executed exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pg_mimic import PgError, Portal, ResultColumn, Statement
from pg_mimic.session import Row

from .params import parameter_count, substitute, typed
from .results import SYNTAX_ERROR, encodable, step_columns

if TYPE_CHECKING:
    from .session import EngineSession, ScriptResult

_UNSET: list[ResultColumn] = []
INTERNAL_ERROR = "XX000"


class EngineStatement(Statement):
    """One prepared statement; `describe` checks it on a copy of the session's state and sends nothing."""

    def __init__(self, session: EngineSession, sql: str, param_oids: list[int | None]) -> None:
        self.session = session
        self.sql = sql
        # Types the client did not declare are unknown (0) in the ParameterDescription.
        self.param_oids = param_oids + [None] * (parameter_count(sql) - len(param_oids))
        self._columns: list[ResultColumn] | None = _UNSET
        self._bound: EnginePortal | None = None  # the latest Bind's, until a Describe has used it

    async def describe(self) -> list[ResultColumn] | None:
        if self._columns is _UNSET:
            portal, self._bound = self._bound, None
            text = portal.sql if portal is not None else self.sql
            if portal is None and self.param_oids:  # described before any Bind: null for every value
                text = substitute(text, [None] * len(self.param_oids))
            steps = self.session.check(text)
            if len({step.number for step in steps}) > 1:  # one INSERT of many rows is one statement
                raise PgError(SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement")
            if steps and steps[0].query is not None and portal is not None:
                # A SELECT's column types are known from its rows only, as over the simple protocol: it is
                # run now (it only reads) and its Execute hands over these rows: it still runs once.
                portal.prefetched = await self.session.run_script(portal.sql)
                if portal.prefetched.error is not None:
                    raise portal.prefetched.error
                shapes = portal.prefetched.shapes
                self._columns = list(shapes[0].columns or ()) if shapes else None
            else:
                columns = step_columns(steps[0]) if steps else None
                self._columns = None if columns is None else list(columns)
        return self._columns

    @property
    def described(self) -> list[ResultColumn] | None:
        """The columns announced at Describe (None before it, or for a statement without rows)."""
        return None if self._columns is _UNSET else self._columns

    def bind(self, params: list[Any]) -> Portal:
        values = [typed(value, oid) for value, oid in zip(params, self.param_oids, strict=False)]
        sql = substitute(self.sql, values + params[len(values) :]) if self.param_oids else self.sql
        self._bound = EnginePortal(self, sql)
        return self._bound


class EnginePortal(Portal):
    """A bound statement: its first Execute runs it; later ones only page through the same rows."""

    def __init__(self, statement: EngineStatement, sql: str) -> None:
        self.statement = statement
        self.sql = sql
        self._rows: list[Row] | None = None
        self._taken = 0
        self.prefetched: ScriptResult | None = None  # a SELECT run by its Describe
        self.tag = ""  # the command tag of the statement's result, once run (INSERT 0 n, SELECT n, ...)

    async def execute(self, max_rows: int) -> tuple[list[Row], bool]:
        if self._rows is None:
            result, self.prefetched = self.prefetched, None
            if result is None:
                result = await self.statement.session.run_script(self.sql)
            if result.error is not None:
                self._rows = []
                raise result.error
            for shape in result.shapes[:1]:
                self.tag = shape.tag
                if shape.notice:
                    self.statement.session.notify(shape.notice)
            self._rows = self._as_described([tuple(r) for shape in result.shapes[:1] for r in shape.rows])
        end = len(self._rows) if max_rows <= 0 else min(len(self._rows), self._taken + max_rows)
        batch = self._rows[self._taken : end]
        self._taken = end
        return batch, end < len(self._rows)

    def _as_described(self, rows: list[Row]) -> list[Row]:
        """Rows as the RowDescription sent at Describe announced them (a text column gets text)."""
        columns = self.statement.described
        if not rows or not columns:
            return rows
        if any(len(row) != len(columns) for row in rows):
            raise PgError(
                INTERNAL_ERROR, "the statement's result does not have the columns it was described with"
            )
        return [encodable(row, columns) for row in rows]
