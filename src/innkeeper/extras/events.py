"""In-transaction events of service orders (``kit.events``): higher packages (webhooks, metrics) react
to them without the extras package importing them."""

from __future__ import annotations

from dataclasses import dataclass

from innkeeper.audit.service import Actor
from innkeeper.extras.models import ServiceOrder


@dataclass(frozen=True)
class ServiceOrderChanged:
    """Announced inside the transaction of every status move of a service order. ``action`` is the
    history action: ``requested`` (placed), ``accepted``, ``rejected``, ``in_progress``, ``delivered``,
    ``cancelled``. A handler that raises aborts the move."""

    order: ServiceOrder
    action: str
    actor: Actor
