"""What the inventory announces (``kit.events``) to the packages above it, inside the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from innkeeper.catalog.models import Resource


@dataclass(frozen=True)
class ResourceTimeClosing:
    """Staff (or a calendar import) are about to close ``[start, end)`` of ``resource``; the resource's
    row lock is held. The booking engine expires the lapsed holds in that time first, so a hold nobody
    paid for does not refuse the closure (invariant 3)."""

    resource: Resource
    start: datetime
    end: datetime
