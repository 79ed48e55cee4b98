"""The counter resource of nanoproc:examples/all-types (see app.py). componentize-py finds an
exported resource class in the module named after its interface."""

from wit_world.exports import all_types

U64_MASK = 2**64 - 1


class Counter(all_types.Counter):
    """The counter resource."""

    def __init__(self, start: int) -> None:
        self.value = start

    def increment(self, by: int) -> int:
        self.value = (self.value + by) & U64_MASK
        return self.value

    def get(self) -> int:
        return self.value
