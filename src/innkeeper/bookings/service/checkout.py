"""Consolidated check-out: settle the folio, close the stay, issue the invoice and e-mail it (PDF)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import invoices, pdf
from innkeeper.billing.models import Invoice
from innkeeper.bookings import notify
from innkeeper.bookings.models import Booking
from innkeeper.bookings.service import stay
from innkeeper.context import AppContext


async def finish(ctx: AppContext, session: AsyncSession, b: Booking, actor: Actor) -> Invoice:
    """Check out (409 while the folio has a balance), issue the invoice, e-mail it after commit."""
    await stay.check_out(session, b, actor)
    inv = await invoices.issue(session, b, actor)
    await email_invoice(ctx, session, b, inv)
    return inv


async def email_invoice(ctx: AppContext, session: AsyncSession, b: Booking, inv: Invoice) -> None:
    document = await pdf.render_off_loop(inv.snapshot)
    await notify.invoice(ctx, session, b, inv, document)  # the "invoice" template, in the guest's language
