"""Payment, refund, wallet and webhook errors with stable codes."""

from __future__ import annotations

from innkeeper.kit.errors import AppError, BadRequest, Conflict, NotFound, ValidationFailed


class PaymentNotFound(NotFound):
    code = "payment.not_found"
    title = "No such payment"


class NotRefundable(Conflict):
    code = "payment.not_refundable"
    title = "This payment cannot be refunded"


class RefundExceeds(Conflict):
    code = "payment.refund_exceeds"
    title = "The refund exceeds what was paid"


class PaymentMethodUnavailable(ValidationFailed):
    code = "payment.method_unavailable"
    title = "Payment method unavailable"


class WebhookSignatureInvalid(BadRequest):
    code = "webhook.signature_invalid"
    title = "Invalid webhook signature"


class WebhookMalformed(BadRequest):
    code = "webhook.malformed"
    title = "Malformed webhook"


class WebhookUnknownPayment(NotFound):
    code = "webhook.unknown_payment"
    title = "The webhook refers to no payment we know"


class GatewayUnavailable(NotFound):
    code = "payment.provider_disabled"
    title = "This payment provider is not enabled"


class GatewayError(AppError):
    """The provider refused a request for good (not a network hiccup that a retry would fix)."""

    status = 502
    code = "payment.gateway_error"
    title = "The payment provider refused the request"
