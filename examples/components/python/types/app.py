"""types: exports nanoproc:examples/all-types (examples/components/wit/types.wit) in Python, built
by componentize-py; the same behaviour as the Rust one (examples/components/rust/types). Every
echo_* function returns its argument unchanged; the others compute.

The counter resource is in all_types.py: componentize-py looks exported resources up in the
module named after their interface."""

import math
from typing import List, Optional, Tuple

from componentize_py_types import Err, Result, Some
from wit_world import exports
from wit_world.exports import all_types
from wit_world.exports.all_types import Color, Permissions, Person, Point, Shape

U32_MAX = 2**32 - 1
U64_MASK = 2**64 - 1


class AllTypes(exports.AllTypes):
    def echo_bool(self, x: bool) -> bool:
        return x

    def echo_s8(self, x: int) -> int:
        return x

    def echo_s16(self, x: int) -> int:
        return x

    def echo_s32(self, x: int) -> int:
        return x

    def echo_s64(self, x: int) -> int:
        return x

    def echo_u8(self, x: int) -> int:
        return x

    def echo_u16(self, x: int) -> int:
        return x

    def echo_u32(self, x: int) -> int:
        return x

    def echo_u64(self, x: int) -> int:
        return x

    def echo_f32(self, x: float) -> float:
        return x

    def echo_f64(self, x: float) -> float:
        return x

    def echo_char(self, x: str) -> str:
        return x

    def echo_string(self, x: str) -> str:
        return x

    def echo_bytes(self, x: bytes) -> bytes:
        return x

    def echo_strings(self, x: List[str]) -> List[str]:
        return x

    def echo_point(self, x: Point) -> Point:
        return x

    def echo_person(self, x: Person) -> Person:
        return x

    def echo_tuple(self, x: Tuple[int, str, float]) -> Tuple[int, str, float]:
        return x

    def echo_shape(self, x: Shape) -> Shape:
        return x

    def echo_color(self, x: Color) -> Color:
        return x

    def echo_option(self, x: Optional[int]) -> Optional[int]:
        return x

    def echo_nested_option(self, x: Optional[Some[Optional[str]]]) -> Optional[Some[Optional[str]]]:
        return x

    def echo_result(self, x: Result[int, str]) -> int:
        # A result is returned as a value (ok) or raised (err).
        if isinstance(x, Err):
            raise x
        return x.value

    def echo_unit_result(self, x: Result[None, None]) -> None:
        if isinstance(x, Err):
            raise x

    def echo_permissions(self, x: Permissions) -> Permissions:
        return x

    def echo_many(self, a: int, b: str, c: List[bool]) -> Tuple[int, str, List[bool]]:
        return (a, b, c)

    def nothing(self) -> None:
        pass

    def add(self, a: int, b: int) -> int:
        return ((a + b + 2**63) & U64_MASK) - 2**63

    def upper(self, s: str) -> str:
        return s.upper()

    def sum(self, bytes: bytes) -> int:
        return sum(bytes)

    def area(self, s: Shape) -> float:
        if isinstance(s, all_types.Shape_Circle):
            return math.pi * s.value * s.value
        if isinstance(s, all_types.Shape_Rectangle):
            return abs(float(s.value.x) * float(s.value.y))
        return 0.0

    def next_color(self, c: Color) -> Color:
        return {Color.RED: Color.GREEN, Color.GREEN: Color.BLUE, Color.BLUE: Color.RED}[c]

    def invert(self, p: Permissions) -> Permissions:
        inverted = Permissions(0)
        for flag in (Permissions.READ, Permissions.WRITE, Permissions.EXECUTE):
            if flag not in p:
                inverted |= flag
        return inverted

    def describe(self, p: Person) -> str:
        if p.nickname is not None:
            return f'{p.name} "{p.nickname}" ({p.age})'
        return f"{p.name} ({p.age})"

    def parse_u32(self, s: str) -> int:
        if s and all(c in "0123456789" for c in s) and int(s) <= U32_MAX:
            return int(s)
        raise Err(f"`{s}` is not a u32")

    def half(self, x: int) -> Optional[int]:
        return x // 2 if x % 2 == 0 else None

    def check(self, fail: bool) -> None:
        if fail:
            raise Err(None)
