"""Run the server until SIGINT/SIGTERM, then let the statements in flight finish."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
import sys
from collections.abc import Callable
from typing import IO, TextIO

from .._errors import UsageError
from ..connection import local_emulator
from ..manifest import Registry, root_from_option
from ..options import LOCAL, Options
from ..session import AsyncSession
from .auth import authentication
from .listener import Listener
from .options import ServerOptions
from .outcomes import OutcomeLog
from .session import EngineSession, Inflight, ServerContext


def serve(
    options: ServerOptions,
    engine: Options,
    *,
    report: str | None = None,
    verbose: bool = False,
    out: TextIO | None = None,
) -> int:
    """Serve until a signal; 0 once every statement in flight has finished."""
    out = out if out is not None else sys.stdout
    tls = _tls(options)
    registry = Registry(root_from_option(engine.registry))
    for name in registry.provider_names():  # `--auth` and the manifests are checked now, not per client
        engine.auth_for(name, registry.provider(name).auth)
    with contextlib.ExitStack() as stack:
        log = OutcomeLog(report=_report(report, stack))
        local_url = None
        if engine.endpoint == LOCAL:
            local_url = stack.enter_context(local_emulator(engine.state))

        def new_core() -> AsyncSession:
            # Sessions share the registry (one event loop, no threads) and the one local emulator.
            http_log = _http_line if verbose else None
            return AsyncSession(engine, registry=registry, log=http_log, local_url=local_url)

        return asyncio.run(_serve(options, tls, new_core, log, out))


async def _serve(
    options: ServerOptions,
    tls: ssl.SSLContext | None,
    new_core: Callable[[], AsyncSession],
    log: OutcomeLog,
    out: TextIO,
) -> int:
    context = ServerContext(new_core, log, Inflight())
    plugins, identity = authentication(options)
    listener = Listener(lambda: EngineSession(context), plugins, identity, tls=tls)
    try:
        server = await listener.start_server(options.address, options.port)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {options.address}:{options.port}: {exc.strerror or exc}",
            hint="is another server using the port? choose another with --pgsrv.port",
        ) from None
    host, port = server.sockets[0].getsockname()[:2]
    print(
        f"srv listening on {host}:{port} (Postgres protocol{', TLS offered' if tls else ''}); "
        f"connect with: psql -h {host} -p {port} -U stackql -d stackql",
        file=out,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.note("stopping: no new connections; finishing the statements in flight")
    await listener.stop(context.inflight.wait)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(listener.wait_closed(), 5)
    log.note("stopped")
    return 0


def _http_line(line: str) -> None:
    """`--verbose`: one HTTP exchange on stderr (the executor has masked every credential)."""
    print(f"srv: {line}", file=sys.stderr, flush=True)


def _tls(options: ServerOptions) -> ssl.SSLContext | None:
    if options.tls_cert is None or options.tls_key is None:
        return None
    if sys.version_info < (3, 11):
        raise UsageError("TLS for srv needs Python 3.11 or later (asyncio's start_tls on streams)")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(options.tls_cert, options.tls_key)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"cannot use the TLS certificate and key: {exc}") from None
    return context


def _report(path: str | None, stack: contextlib.ExitStack) -> IO[str] | None:
    if path is None:
        return None
    try:
        return stack.enter_context(open(path, "a", encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write --report {path}: {exc.strerror}") from None
