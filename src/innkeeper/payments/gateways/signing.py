"""Webhook signatures exactly as Stripe makes them (``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256>``
over ``"<t>.<body>"``), using the official SDK's ``WebhookSignature``. The timestamp tolerance is
checked against the injected clock, not the wall clock, so tests can move time. The SDK is imported
when a signature is made or checked, not with the module: the simulated gateway signs too, and a
process that never does should not carry the SDK (~10 MB resident)."""

from __future__ import annotations

from innkeeper.kit.clock import utcnow
from innkeeper.payments.errors import WebhookSignatureInvalid

HEADER = "Stripe-Signature"


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    import stripe

    text = payload.decode() if isinstance(payload, bytes) else payload
    when = int(utcnow().timestamp()) if timestamp is None else timestamp
    return str(stripe.WebhookSignature.generate_signature_header(text, secret, timestamp=when))


def verify(payload: bytes, header: str | None, secret: str, tolerance_seconds: int) -> None:
    """Raise ``webhook.signature_invalid`` unless ``header`` signs ``payload`` recently enough."""
    import stripe

    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookSignatureInvalid("The body is not UTF-8") from exc
    try:
        # tolerance=None: the SDK checks the signature only; the age is checked below with our clock
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid("The webhook signature does not match") from exc
    timestamp = _timestamp(header or "")
    now = int(utcnow().timestamp())
    if abs(now - timestamp) > tolerance_seconds:
        raise WebhookSignatureInvalid("The webhook signature is too old (or from the future)")


def _timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            try:
                return int(value)
            except ValueError:
                break
    raise WebhookSignatureInvalid("The webhook signature has no timestamp")
