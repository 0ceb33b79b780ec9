"""One small state-machine helper: which status may follow which, and the refusal of the rest.

A domain declares its table once (status -> the statuses it may move to) and asks the machine::

    MACHINE = StateMachine(TRANSITIONS)
    MACHINE.can(current, to)              # bool
    MACHINE.check(current, to, refuse)    # raises refuse() when the move is not in the table

The machine knows nothing of models, history or errors: the caller says what to raise (its own 409) and
writes its own history and audit rows, so the booking lifecycle and service orders share the rules
without sharing a model.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

S = TypeVar("S", bound=Hashable)


class StateMachine(Generic[S]):
    """An immutable transition table. Every status that appears as a target must be a key too (a
    terminal status maps to nothing), so a typo in the table fails at import, not at run time."""

    __slots__ = ("transitions",)

    def __init__(self, transitions: Mapping[S, Iterable[S]]) -> None:
        table = {state: frozenset(targets) for state, targets in transitions.items()}
        unknown = {t for targets in table.values() for t in targets} - table.keys()
        if unknown:
            raise ValueError(f"transitions to undeclared states: {sorted(map(str, unknown))}")
        self.transitions: Mapping[S, frozenset[S]] = table

    def targets(self, state: S) -> frozenset[S]:
        """Where ``state`` may go (nothing for a terminal or unknown state)."""
        return self.transitions.get(state, frozenset())

    def can(self, state: S, to: S) -> bool:
        return to in self.targets(state)

    def is_terminal(self, state: S) -> bool:
        return not self.targets(state)

    def check(self, state: S, to: S, refuse: Callable[[], Exception]) -> None:
        """Nothing when ``state -> to`` is in the table; raise ``refuse()`` otherwise."""
        if not self.can(state, to):
            raise refuse()
