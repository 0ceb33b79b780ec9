"""Consolidated check-out: settle the folio, close the stay, issue the invoice and e-mail it (PDF)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import invoices, pdf
from innkeeper.billing.models import Invoice
from innkeeper.bookings.models import Booking
from innkeeper.bookings.service import stay
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.notifications.service import Attachment, send_email


async def finish(ctx: AppContext, session: AsyncSession, b: Booking, actor: Actor) -> Invoice:
    """Check out (409 while the folio has a balance), issue the invoice, e-mail it after commit."""
    await stay.check_out(session, b, actor)
    inv = await invoices.issue(session, b, actor)
    await email_invoice(ctx, session, b, inv)
    return inv


async def email_invoice(ctx: AppContext, session: AsyncSession, b: Booking, inv: Invoice) -> None:
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    number = inv.snapshot.get("number")
    body = (
        f"Dear {b.contact_name or 'guest'},\n\nthank you for staying at {prop.name}. "
        f"Your invoice {number} for booking {b.reference} is attached.\n\n"
        f"Total: {inv.snapshot['total']['amount']} {inv.currency}\n"
    )
    document = await pdf.render_off_loop(inv.snapshot)
    send_email(
        ctx,
        session,
        to=b.contact_email,
        subject=f"Your invoice {number} ({b.reference})",
        body=body,
        attachments=[Attachment(f"{number}.pdf", "application/pdf", document)],
    )
