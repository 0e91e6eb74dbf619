"""Look up providers, services, resources and methods by name, with helpful errors for unknown ones."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .._errors import BindError, Location, UsageError
from . import loader
from .model import Method, Provider, Resource, Service

REGISTRY_ENV = "STACKQL_SIGNUPS_REGISTRY"


def default_root() -> Path:
    """The manifest shipped with the package (a wheel), or the repository's `provider/` (a checkout)."""
    packaged = Path(__file__).resolve().parent.parent / "provider"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "provider"


def root_from_option(value: str | None) -> Path:
    """Read `--registry`: a folder, a `file://` URL, or StackQL's JSON form `{"url": "file://..."}`."""
    value = value or os.environ.get(REGISTRY_ENV)
    if not value:
        return default_root()
    text = value.strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("url") or json.loads(text).get("localDocRoot") or "")
        except (ValueError, AttributeError):
            raise UsageError(
                "--registry is not valid JSON",
                hint='write --registry \'{"url": "file:///path/to/providers"}\'',
            ) from None
    if text.startswith("file://"):
        text = text[len("file://") :]
    if text.startswith(("http://", "https://")):
        raise UsageError("remote registries are not supported", hint="point --registry at a local folder")
    root = Path(text).expanduser()
    if not root.is_dir():
        raise UsageError(f"--registry folder {root} does not exist")
    return root


@dataclass(frozen=True)
class Target:
    """A resolved name: always a provider and service, then a resource and method when named."""

    provider: Provider
    service: Service
    resource: Resource
    method: Method | None = None


class Registry:
    """All providers under one registry root; service documents are read on first use."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_root()
        self._provider_files = loader.find_providers(self.root)
        self._providers: dict[str, Provider] = {}
        self._services: dict[tuple[str, str], Service] = {}

    def provider_names(self) -> list[str]:
        return list(self._provider_files)

    def versions(self, name: str, location: Location | None = None) -> list[str]:
        """Every version of provider `name` in this registry, oldest first."""
        if name not in self._provider_files:
            raise _unknown("provider", name, self.provider_names(), location)
        return [v.name for v in loader.find_versions(self._provider_files[name].parent.parent)]

    def provider(self, name: str, location: Location | None = None) -> Provider:
        if name not in self._providers:
            if name not in self._provider_files:
                raise _unknown("provider", name, self.provider_names(), location)
            self._providers[name] = loader.load_provider(self.root, self._provider_files[name])
        return self._providers[name]

    def service(self, provider: Provider, name: str, location: Location | None = None) -> Service:
        key = (provider.name, name)
        if key not in self._services:
            entry = provider.service_entry(name)
            if entry is None:
                raise _unknown(
                    f"service in provider {provider.name}",
                    name,
                    [s.name for s in provider.services],
                    location,
                )
            self._services[key] = loader.load_service(provider, entry)
        return self._services[key]

    def secret_names(self) -> frozenset[str]:
        """Names of every parameter and body field marked secret, in every service (for masking)."""
        names: set[str] = set()
        for provider_name in self.provider_names():
            provider = self.provider(provider_name)
            for entry in provider.services:
                service = self.service(provider, entry.name)
                for resource in service.resources:
                    for method in resource.methods:
                        names.update(p.name for p in method.parameters if p.secret)
        return frozenset(names)

    def expand(
        self,
        parts: tuple[str, ...],
        depth: int,
        default_provider: str | None,
        what: str,
        location: Location | None = None,
    ) -> tuple[str, ...]:
        """Complete a name of `depth` parts, adding the provider chosen by `USE` when it is left out."""
        if len(parts) == depth:
            return parts
        if len(parts) == depth - 1 and default_provider:
            return (default_provider, *parts)
        shape = ".".join(("provider", "service", "resource", "method")[:depth])
        dotted = ".".join(parts)
        hint = f"{what} names have {depth} parts: {shape}"
        if len(parts) == depth - 1 and not (parts and parts[0] in self._provider_files):
            hint += "; or run `USE <provider>;` first and leave the provider out"
        raise BindError(f"'{dotted}' is not a {what} name", hint=hint, location=location)

    def resource_target(
        self, parts: tuple[str, ...], default_provider: str | None, location: Location | None = None
    ) -> Target:
        provider_name, service_name, resource_name = self.expand(
            parts, 3, default_provider, "resource", location
        )
        provider = self.provider(provider_name, location)
        service = self.service(provider, service_name, location)
        resource = service.resource(resource_name)
        if resource is None:
            raise _unknown(
                f"resource in {provider.name}.{service.name}",
                resource_name,
                [r.name for r in service.resources],
                location,
            )
        return Target(provider, service, resource)

    def method_target(
        self, parts: tuple[str, ...], default_provider: str | None, location: Location | None = None
    ) -> Target:
        full = self.expand(parts, 4, default_provider, "method", location)
        target = self.resource_target(full[:3], None, location)
        method = target.resource.method(full[3])
        if method is None:
            names = [m.name for m in target.resource.methods]
            raise _unknown(
                f"method of {target.resource.id}",
                full[3],
                names,
                location,
                stackql=f"could not find method for key = '{full[3]}'",
            )
        return Target(target.provider, target.service, target.resource, method)


def _unknown(
    what: str, name: str, known: list[str], location: Location | None, stackql: str | None = None
) -> BindError:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    listing = ", ".join(known) if known else "none"
    hint = (f"did you mean '{close[0]}'? " if close else "") + f"known: {listing}"
    message = f"unknown {what}: '{name}'" + (f" ({stackql})" if stackql else "")
    return BindError(message, hint=hint, location=location)
