"""The list of domain packages, in one place: their job handlers, event reactions and models are loaded
from here."""

from __future__ import annotations

import importlib

#: Modules whose import registers job handlers, periodic jobs and in-transaction event reactions
#: (``kit.events``). Every process loads them when it builds its ``AppContext``.
HANDLER_MODULES = (
    "innkeeper.inventory.reactions",
    "innkeeper.notifications.tasks",
    "innkeeper.identity.recovery",
    "innkeeper.kit.maintenance",
    "innkeeper.inventory.tasks",
    "innkeeper.bookings.tasks",
    "innkeeper.bookings.hourly",
    "innkeeper.payments.tasks",
    "innkeeper.bookings.service.payment",
    "innkeeper.payments.topup",
    "innkeeper.extras.reactions",
    "innkeeper.engagement.reactions",
    "innkeeper.integrations.reactions",
    "innkeeper.integrations.tasks",
    "innkeeper.bookings.metrics",
    "innkeeper.payments.metrics",
    "innkeeper.bookings.catalog_guards",
)

#: Modules whose import defines ORM models (Alembic autogenerate and the model/migration check).
MODEL_MODULES = (
    "innkeeper.kit.jobs",
    "innkeeper.kit.throttle",
    "innkeeper.kit.idempotency",
    "innkeeper.audit.models",
    "innkeeper.identity.models",
    "innkeeper.notifications.models",
    "innkeeper.catalog.models",
    "innkeeper.inventory.models",
    "innkeeper.inventory.hourly_models",
    "innkeeper.pricing.models",
    "innkeeper.bookings.models",
    "innkeeper.payments.models",
    "innkeeper.billing.models",
    "innkeeper.extras.models",
    "innkeeper.engagement.models",
    "innkeeper.engagement.tickets_models",
    "innkeeper.content.models",
    "innkeeper.integrations.models",
)


def load_handlers() -> None:
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def load_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
