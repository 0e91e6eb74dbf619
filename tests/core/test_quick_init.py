"""`quick_init` builds the same frozen dataclass instances as the dataclass's own `__init__`."""

from __future__ import annotations

import dataclasses

import pytest

from stackql_signups._quick import quick_init
from stackql_signups.sql.statements import Param, Source


@dataclasses.dataclass(frozen=True)
class Plain:
    a: int
    b: str = "x"
    c: tuple[int, ...] = ()


Quick = quick_init(
    dataclasses.make_dataclass("Quick", [("a", int), ("b", str, "x"), ("c", tuple, ())], frozen=True)
)


@pytest.mark.parametrize(
    ("args", "kwargs"), [((1,), {}), ((1, "y"), {}), ((1,), {"c": (2,)}), ((), {"a": 3, "b": "z", "c": ()})]
)
def test_same_fields_defaults_and_arguments(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    expected, found = Plain(*args, **kwargs), Quick(*args, **kwargs)  # type: ignore[arg-type]
    assert dataclasses.astuple(found) == dataclasses.astuple(expected)
    assert repr(found).removeprefix("Quick") == repr(expected).removeprefix("Plain")


def test_still_frozen_comparable_hashable_and_replaceable() -> None:
    source = Source(number=1, offset=0, line=1, column=1, text="EXEC x")
    assert source.offset_line == 1
    param = Param("json", "{}")
    assert param == Param(name="json", value="{}", offset=0) and hash(param) == hash(Param("json", "{}", 0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        param.name = "x"  # type: ignore[misc]
    assert dataclasses.replace(param, offset=4).offset == 4
    with pytest.raises(TypeError):
        Param("json", "{}", 0, 1)  # type: ignore[call-arg]


def test_refuses_what_it_cannot_build() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError):
        quick_init(WithFactory)
