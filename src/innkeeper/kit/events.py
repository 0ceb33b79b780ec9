"""In-transaction events: how a lower package tells higher ones what happened without importing them.

The package that owns a fact defines the event (a frozen dataclass) and emits it::

    await events.emit(session, RoomsInServiceChanged(...))

A higher package reacts by registering a handler for that event type (in a module that
``innkeeper.domains`` loads at start-up)::

    @events.on(RoomsInServiceChanged)
    async def move_inventory(session: AsyncSession, event: RoomsInServiceChanged) -> None: ...

Handlers run **inside the emitting transaction**, in registration order: their changes commit with the
emitter's or not at all, and a handler that raises (a 409, say) aborts the whole unit of work. They are
not for talking to the outside world: that goes through the outbox (``kit.jobs.enqueue``), which a
handler may of course write to. ``key`` narrows a handler to one kind of an event (a payment's purpose).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]

_handlers: dict[tuple[type, Hashable], list[Handler]] = {}


def on(event_type: type[E], key: Hashable = None) -> Callable[[Handler], Handler]:
    """Register the decorated coroutine for ``event_type`` (and ``key``, when the emitter gives one)."""

    def register(handler: Handler) -> Handler:
        handlers = _handlers.setdefault((event_type, key), [])
        if handler not in handlers:
            handlers.append(handler)
        return handler

    return register


def remove(event_type: type, handler: Handler, key: Hashable = None) -> None:
    handlers = _handlers.get((event_type, key), [])
    if handler in handlers:
        handlers.remove(handler)


async def emit(session: AsyncSession, event: object, key: Hashable = None) -> None:
    """Run every handler of ``type(event)`` registered for ``key`` (handlers registered without a key
    see only events emitted without one)."""
    for handler in list(_handlers.get((type(event), key), ())):
        await handler(session, event)
