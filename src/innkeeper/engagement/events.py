"""In-transaction events of engagement (``kit.events``): higher packages (webhooks, metrics) react to
them without the engagement package importing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from innkeeper.audit.service import Actor

if TYPE_CHECKING:
    from innkeeper.engagement.models import Review


@dataclass(frozen=True)
class ReviewPublished:
    """Announced inside the transaction that makes a review visible to the public (on submission when
    moderation is off, or when a moderator approves it). The property's rating aggregate already counts
    it. A handler that raises aborts the publication."""

    review: Review
    actor: Actor
