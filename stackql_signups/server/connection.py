"""pg-mimic's connection, with a simple query's StackQL statements run as one script by the engine.

pg-mimic splits a simple query with sqlglot's Postgres dialect and re-renders each statement, which would
mangle StackQL (`@@json='...'`) and lose what a script means as a whole (templates, labels, concurrency).
The private methods overridden here are those of the pinned pg-mimic 0.1.3.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from pg_mimic import PgError, messages
from pg_mimic.connection import Connection, _field_specs, command_tag
from pg_mimic.results import encode_row

from .._errors import ParseError
from ..sql import splitter
from ..sql.lexical import has_code
from .results import Shape, notice_fields
from .session import EngineSession
from .statement import EnginePortal

TERMINATING = "57P01"


class EngineConnection(Connection):
    """One client connection; `busy` while a query is being answered (shutdown waits for it)."""

    session: EngineSession
    tx_status: bytes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = False  # from a query's first message to its ReadyForQuery
        self.last_message = 0.0

    @property
    def running(self) -> bool:
        """Whether a statement is being run right now."""
        return self._current_task is not None

    async def _command_loop(self) -> None:
        while True:
            tag, payload = await self.stream.read_message()
            if tag == messages.TERMINATE:
                return
            self.busy = True
            self.last_message = time.monotonic()
            self._current_task = asyncio.ensure_future(self._dispatch(tag, payload))
            try:
                await self._current_task
            except asyncio.CancelledError:
                self._write_error(PgError("57014", "canceling statement due to user request"))
            finally:
                self._current_task = None
            if tag in (messages.QUERY, messages.SYNC):
                self.stream.write(messages.make_ready_for_query(self.tx_status))
                self._ignore_until_sync = False
                self.busy = False
            try:
                await self.stream.drain()
            except (ConnectionError, OSError):
                return  # the client went away; what its statements did is in the server log

    def _write_error(self, error: PgError) -> None:
        fields = {"S": "ERROR", "V": "ERROR", "C": error.sqlstate, "M": error.message, **error.fields}
        self.stream.write(messages.make_error_response(fields))
        if self.tx_status != b"I":
            self.tx_status = b"E"
        self._ignore_until_sync = True

    def terminate(self) -> None:
        """Tell an idle client that the server is shutting down (it is closed right after)."""
        if self.stream.writer.is_closing():
            return
        message = "terminating connection: the server is stopping"
        fields = {"S": "FATAL", "V": "FATAL", "C": TERMINATING, "M": message}
        # A TLS transport whose peer has just gone raises AttributeError from asyncio's sslproto.
        with contextlib.suppress(AttributeError, ConnectionError, OSError, RuntimeError):
            self.stream.write(messages.make_error_response(fields))

    async def _handle_execute(self, parsed: Any) -> None:
        """pg-mimic's Execute, with the command tag of the statement's result (`INSERT 0 2` for a
        two-row INSERT without RETURNING), where pg-mimic would count the rows sent and read the verb."""
        entry = self._get_portal(parsed.portal_name)
        portal = entry.portal
        if not isinstance(portal, EnginePortal):
            await super()._handle_execute(parsed)
            return
        if self.tx_status == b"E":
            raise PgError("25P02", "current transaction is aborted, commands ignored")
        rows, suspended = await portal.execute(parsed.max_rows)
        entry.rows_returned += len(rows)
        if entry.columns is not None:
            for row in rows:
                try:
                    values = encode_row(row, entry.columns, entry.result_format_codes)
                except ValueError as exc:  # a binary format pg-mimic cannot write for this type
                    raise PgError("0A000", str(exc)) from None
                self.stream.write(messages.make_data_row(values))
        if suspended:
            self.stream.write(messages.make_portal_suspended())
        else:
            tag = portal.tag or command_tag(entry.sql, entry.rows_returned)
            self.stream.write(messages.make_command_complete(tag))

    async def _handle_simple_query(self, sql: str) -> None:
        if not has_code(sql.replace(";", " ")):
            self.stream.write(messages.make_empty_query_response())
            return
        try:
            chunks = list(splitter.split(sql))
        except ParseError:
            chunks = [splitter.Chunk(sql, 0)]  # the engine reports it, with its position
        start: int | None = None  # where the pending StackQL statements begin
        for chunk in chunks:
            answered = await self.session.chatter(chunk.text, [])
            if answered is None:
                start = chunk.offset if start is None else start
                continue
            if start is not None:
                await self._run_script(sql[start : chunk.offset])
                start = None
            await self._execute_one_simple_statement(chunk.text)
        if start is not None:
            await self._run_script(sql[start:])

    async def _run_script(self, sql: str) -> None:
        """StackQL statements, run once as one script; one result per statement, up to a failure."""
        if self.tx_status == b"E":
            raise PgError("25P02", "current transaction is aborted, commands ignored")
        result = await self.session.run_script(sql)
        for shape in result.shapes:
            self._write_shape(shape)
        if result.error is not None:
            raise result.error

    def _write_shape(self, shape: Shape) -> None:
        if shape.notice:
            self.stream.write(messages.make_notice_response(notice_fields(shape.notice)))
        if shape.columns is not None:
            columns = list(shape.columns)
            self.stream.write(messages.make_row_description(_field_specs(columns)))
            for row in shape.rows:
                self.stream.write(messages.make_data_row(encode_row(row, columns)))
        tag = command_tag("SELECT", len(shape.rows)) if shape.tag == "SELECT" else shape.tag
        self.stream.write(messages.make_command_complete(tag))
