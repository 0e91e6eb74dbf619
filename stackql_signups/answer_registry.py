"""Answer `REGISTRY LIST` and `REGISTRY PULL` from the local provider registry: nothing is downloaded."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import BindError, Location
from .manifest import Registry
from .results import ResultSet
from .sql.statements import RegistryCommand


@dataclass(frozen=True)
class RegistryAnswer:
    """Rows for `REGISTRY LIST`; a message for stderr for `REGISTRY PULL` (as StackQL prints it)."""

    result: ResultSet | None = None
    notice: str | None = None


def answer_registry(statement: RegistryCommand, registry: Registry, where: Location) -> RegistryAnswer:
    number = statement.source.number
    if statement.action == "LIST" and statement.provider is None:
        # StackQL's shape: one row per provider with its newest version.
        rows = tuple((name, registry.versions(name)[-1]) for name in registry.provider_names())
        return RegistryAnswer(result=ResultSet(("provider", "version"), rows, number))
    assert statement.provider is not None
    versions = _versions(statement.provider, registry, where)
    if statement.action == "LIST":
        # StackQL's shape for one provider: every version in one ", "-separated cell.
        row = (statement.provider, ", ".join(versions))
        return RegistryAnswer(result=ResultSet(("provider", "versions"), (row,), number))
    version = versions[-1]
    if statement.version is not None:
        wanted = statement.version if statement.version.startswith("v") else "v" + statement.version
        if wanted not in versions:
            raise BindError(
                f"version '{statement.version}' of provider '{statement.provider}' is not in the registry",
                location=where,
                hint=f"versions here: {', '.join(versions)}",
            )
        version = wanted
    return RegistryAnswer(
        notice=f"{statement.provider} provider, version '{version}' successfully installed "
        "(from the registry shipped with stackql-signups; nothing was downloaded)"
    )


def _versions(provider: str, registry: Registry, where: Location) -> list[str]:
    if provider not in registry.provider_names():
        known = ", ".join(registry.provider_names()) or "none"
        raise BindError(
            f"provider '{provider}' is not in the registry (stackql-signups downloads no providers)",
            location=where,
            hint=f"providers here: {known}; --registry DIR points at another registry in StackQL's layout",
        )
    return registry.versions(provider, where)
