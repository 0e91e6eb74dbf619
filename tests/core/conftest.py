"""Fixtures of the core engine tests."""

from __future__ import annotations

import pytest

from stackql_signups.manifest import Registry

from .support import ACME_REGISTRY


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The shipped manifest (the package's default registry root)."""
    return Registry()


@pytest.fixture(scope="session")
def acme_registry() -> Registry:
    """The second, made-up provider of tests/core/fixtures/registry."""
    return Registry(ACME_REGISTRY)
