"""How clients authenticate: none on loopback without a password, else SCRAM-SHA-256 or MD5."""

from __future__ import annotations

from collections.abc import Callable

from pg_mimic import (
    AuthPlugin,
    IdentityProvider,
    Md5PasswordAuthPlugin,
    ScramSha256AuthPlugin,
    TrustAuthPlugin,
)

from .options import ServerOptions


class OnePassword(IdentityProvider):
    """Every user name has the server's one password (pg-mimic's default would let unknown users in)."""

    def __init__(self, password: str) -> None:
        self._password = password

    async def get_password(self, username: str) -> str | None:
        return self._password


def authentication(options: ServerOptions) -> tuple[Callable[[str], AuthPlugin], IdentityProvider | None]:
    """The plugin factory and identity provider for pg-mimic."""
    if options.password is None:
        return (lambda _user: TrustAuthPlugin()), None
    plugin: AuthPlugin = Md5PasswordAuthPlugin() if options.auth_method == "md5" else ScramSha256AuthPlugin()
    return (lambda _user: plugin), OnePassword(options.password)
