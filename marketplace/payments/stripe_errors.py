"""Stripe's failures, told apart: a passing one a retry may get past, or the co-op's own setup.

Part of the Stripe adapter (``stripe_gateway``): only the adapter's modules import ``stripe``.
"""

from __future__ import annotations

import logging

import stripe

from marketplace.payments.gateway import GatewayError, PaymentSetupError

log = logging.getLogger("marketplace.payments.stripe_gateway")

# Answers that say the request itself is wrong for this account, so no retry will help:
# the key, a parameter, an object made under other keys. (A card's refusal is a CardError;
# an idempotency key reused with other parameters, an IdempotencyError: neither is here.)
_SETUP_ERRORS = (stripe.AuthenticationError, stripe.PermissionError, stripe.InvalidRequestError)


def _likely_setting(error: stripe.StripeError) -> str:
    """The setting a person should look at first, in words an admin can act on."""
    if isinstance(error, stripe.AuthenticationError):
        return "STRIPE_SECRET_KEY (Stripe does not accept this key)"
    if isinstance(error, stripe.PermissionError):
        return "STRIPE_SECRET_KEY (this key may not do that: a restricted key, or Connect is off)"
    said = f"{getattr(error, 'param', None) or ''} {error.user_message or ''}"
    if "transfer_group" in said or "return_url" in said:
        return (
            "STRIPE_SENDS_TRANSFER_GROUP (1 for Stripe itself; 0 for the emulator, which "
            "refuses transfer_group and return_url)"
        )
    if error.http_status == 404:
        return (
            "STRIPE_SECRET_KEY or STRIPE_API_BASE (the object was made under another "
            "account's keys, or on another server)"
        )
    return "STRIPE_API_BASE or the Stripe API version (Stripe refused what the app sent)"


def gateway_error_for(error: stripe.StripeError, action: str) -> GatewayError:
    """Our error for Stripe's: a passing failure (network, timeout, Stripe's 5xx, its rate
    limit) that a retry may get past, or a problem with the co-op's setup, which is logged
    loudly with what Stripe said and the admins are told (once an hour per setting)."""
    if isinstance(error, stripe.IdempotencyError) or not isinstance(error, _SETUP_ERRORS):
        return GatewayError(str(error))
    problem = PaymentSetupError(
        error.user_message or str(error),
        likely_setting=_likely_setting(error),
        request_id=error.request_id,
        http_status=error.http_status,
        stripe_code=error.code,
    )
    log.error(
        "Stripe refused to %s because of the co-op's payment setup: %s (HTTP %s, code %s, "
        "request id %s). Likely at fault: %s",
        action,
        problem.stripe_message,
        problem.http_status,
        problem.stripe_code,
        problem.request_id,
        problem.likely_setting,
    )
    from marketplace.payments.setup_alerts import tell_admins

    try:
        tell_admins(problem, action)
    except Exception:
        # Telling the admins must not hide the problem from the caller.
        log.exception("Could not tell the admins about the payment setup problem")
    return problem
