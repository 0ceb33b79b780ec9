"""The list of domain packages, in one place: their job handlers and routers are loaded from here."""

from __future__ import annotations

import importlib

#: Modules whose import registers job handlers / periodic jobs.
TASK_MODULES = (
    "innkeeper.notifications.tasks",
    "innkeeper.kit.maintenance",
    "innkeeper.inventory.tasks",
    "innkeeper.bookings.tasks",
    "innkeeper.payments.tasks",
    "innkeeper.billing.booking_payments",
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
    "innkeeper.pricing.models",
    "innkeeper.bookings.models",
    "innkeeper.payments.models",
    "innkeeper.billing.models",
)


def load_tasks() -> None:
    for name in TASK_MODULES:
        importlib.import_module(name)


def load_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
