"""Stripe Connect for the emulator: what localstripe lacks and Co-op Stock needs to pay members.

Routes (``install`` registers them on localstripe's app):

- ``POST /v1/accounts``, ``GET /v1/accounts``, ``GET|POST /v1/accounts/{id}``;
- ``POST /v1/account_links``, whose ``url`` opens a test onboarding page served here, under
  ``/js.stripe.com/coop/connect/`` (see ``ONBOARDING_PATH``);
- ``POST|GET /v1/transfers``, ``GET|POST /v1/transfers/{id}``;
- ``POST|GET /v1/transfers/{id}/reversals``, ``GET /v1/transfers/{id}/reversals/{reversal}``;
- ``POST /_config/connect/accounts/{id}/state``: a test helper that sets an account's state.

Events ``account.updated``, ``transfer.created``, ``transfer.updated`` and ``transfer.reversed``
go, signed, to every webhook registered with localstripe, through localstripe's own delivery.

``idempotency_middleware`` gives these ``POST /v1/...`` routes Stripe's idempotency semantics
(see ``IDEMPOTENT_PATHS`` for why not localstripe's). Objects live in localstripe's store, so
they are saved with it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import Event, StripeObject, random_id, store
from localstripe.webhooks import _webhooks, schedule_webhook

from marketplace.stripe_emulator import _localstripe

# The API version our events claim: the one the app's stripe-python pins.
API_VERSION = "2024-06-20"
# The onboarding page must be reachable without a secret key (the member's browser has none),
# and localstripe's auth middleware lets through only /js.stripe.com/ and /_config/ (and
# aiohttp applies an app's middlewares to its sub-apps too, so a sub-app would not escape it).
# /js.stripe.com/coop/ is already where our other browser-facing stand-ins live; /_config/ is
# kept for test-only controls.
ONBOARDING_PATH = "/js.stripe.com/coop/connect/setup/{token}"
STATE_PATH = "/_config/connect/accounts/{id}/state"
ACCOUNT_LINK_LIFETIME = 300  # seconds, as Stripe's
ONBOARDING_SESSION_LIFETIME = 3600  # a visited link's form may be submitted for this long
IDEMPOTENCY_TTL = 24 * 3600  # Stripe keeps keys for at least 24 hours
IDEMPOTENCY_RECORDS_KEY = "coop_connect_idempotency"  # no colon: no localstripe class lists it
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Connect's routes only. The middleware would work for localstripe's routes as well, but the app's
# payment keys ("order-<id>-attempt-<n>") repeat whenever its database is recreated while the
# emulator's state is kept (each test on a fresh database against the session's emulator, or a
# demo database reset): Stripe would then refuse them, as the middleware does.
IDEMPOTENT_PATHS = re.compile(r"^/v1/(accounts|account_links|transfers)(/|$)")

CAPABILITY_REFUSAL = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)
# What a fresh individual Express account must still provide, as Stripe lists it.
INITIAL_REQUIREMENTS = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "individual.address.city",
    "individual.address.line1",
    "individual.address.postal_code",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
MISSING_AFTER_INCOMPLETE_ONBOARDING = [
    "external_account",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
]
COUNTRY_CURRENCIES = {
    "US": "usd",
    "GB": "gbp",
    "CA": "cad",
    "AU": "aud",
    "NZ": "nzd",
    "CH": "chf",
    "SE": "sek",
    "NO": "nok",
    "DK": "dkk",
    "PL": "pln",
    "JP": "jpy",
}
EURO_COUNTRIES = {
    "AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PT", "SI", "SK",
}  # fmt: skip
DEFAULT_COUNTRY = "US"
CAPABILITY_STATUSES = ("active", "inactive", "pending")


# -- errors --------------------------------------------------------------------------------


def invalid(
    message: str, param: str | None = None, code: str | None = None, status: int = 400
) -> UserError:
    """A request refused for its parameters: no idempotent result is saved (as Stripe does)."""
    contents: dict[str, Any] = {}
    if param is not None:
        contents["param"] = param
    if code is not None:
        contents["code"] = code
    return UserError(status, message, contents)


def refusal(message: str, param: str | None = None, code: str | None = None) -> UserError:
    """A request the endpoint ran and refused: saved for idempotent replays, as Stripe does."""
    error = invalid(message, param, code)
    error.idempotent_result = True
    return error


def missing(what: str, id: str, param: str | None = None, status: int = 404) -> UserError:
    return invalid(f"No such {what}: '{id}'", param or "id", "resource_missing", status)


def _check_known(data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise invalid(f"Received unknown parameter: {unknown[0]}", unknown[0])


def _positive_int(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    try:
        number = int(value)
    except ValueError:
        raise invalid(f"Invalid integer: {value}", name, "parameter_invalid_integer") from None
    if number < 1:
        raise invalid(
            "This value must be greater than or equal to 1.", name, "parameter_invalid_integer"
        )
    return number


def _string(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value}", name, "parameter_invalid_string")
    return value


def _metadata(data: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe's rules: set keys merge, keys set to "" are removed, 50 keys at most."""
    result = dict(current or {})
    value = data.get("metadata")
    if value is None or value == "":
        return {} if value == "" else result
    if not isinstance(value, dict):
        raise invalid("Invalid object", "metadata")
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid(f"Invalid string: {item}", f"metadata[{key}]")
        if len(key) > 40:
            raise invalid("Metadata keys can have at most 40 characters.", f"metadata[{key}]")
        if len(item) > 500:
            raise invalid("Metadata values can have at most 500 characters.", f"metadata[{key}]")
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    if len(result) > 50:
        raise invalid("Metadata can have at most 50 keys.", "metadata")
    return result


def _required_string(data: dict[str, Any], name: str) -> str:
    value = _string(data, name, required=True)
    if value is None:  # _string raised already: for the type checker
        raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
    return value


def _required_int(data: dict[str, Any], name: str) -> int:
    value = _positive_int(data, name)
    if value is None:  # _positive_int raised already: for the type checker
        raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
    return value


def _currency(data: dict[str, Any]) -> str:
    currency = _required_string(data, "currency")
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", "currency", "parameter_invalid_string")
    return currency.lower()


def _url(data: dict[str, Any], name: str) -> str:
    value = _required_string(data, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("Not a valid URL", name, "url_invalid")
    return value


def _expand(data: dict[str, Any]) -> list[str]:
    expand = data.pop("expand", None) or []
    if not (isinstance(expand, list) and all(isinstance(e, str) for e in expand)):
        raise invalid("Invalid array", "expand")
    return expand


# -- objects -------------------------------------------------------------------------------
#
# They subclass localstripe's StripeObject to live in its store (key "<object>:<id>"), be saved
# with it and have ids like Stripe's; every method is private (localstripe's _export would list
# public ones), and each class exports itself explicitly, shaped like Stripe's schema.


def _empty_requirements() -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def _controller_for_type(account_type: str) -> dict[str, Any]:
    if account_type == "standard":
        fees, losses, collection, dashboard = "account", "stripe", "stripe", "full"
    elif account_type == "express":
        fees, losses, collection, dashboard = (
            "application_express",
            "application",
            "stripe",
            "express",
        )
    else:
        fees, losses, collection, dashboard = (
            "application_custom",
            "application",
            "application",
            "none",
        )
    return {
        "fees": {"payer": fees},
        "losses": {"payments": losses},
        "requirement_collection": collection,
        "stripe_dashboard": {"type": dashboard},
    }


def _controller_from_params(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("Invalid object", "controller")
    _check_known(value, ("fees", "losses", "requirement_collection", "stripe_dashboard"))

    def choice(group: str | None, key: str, allowed: tuple[str, ...], default: str) -> str:
        holder = value.get(group, {}) if group else value
        if not isinstance(holder, dict):
            raise invalid("Invalid object", f"controller[{group}]")
        chosen = holder.get(key, default)
        name = f"controller[{group}][{key}]" if group else f"controller[{key}]"
        if chosen not in allowed:
            raise invalid(
                f"Invalid {name}: must be one of {', '.join(allowed)}", name, "parameter_invalid"
            )
        return str(chosen)

    fees = choice("fees", "payer", ("account", "application"), "account")
    losses = choice("losses", "payments", ("application", "stripe"), "stripe")
    collection = choice(None, "requirement_collection", ("application", "stripe"), "stripe")
    dashboard = choice("stripe_dashboard", "type", ("express", "full", "none"), "full")
    if collection == "application" and dashboard != "none":
        raise invalid(
            "`controller[requirement_collection]=application` requires "
            "`controller[stripe_dashboard][type]=none`.",
            "controller[requirement_collection]",
        )
    if losses == "application" and fees != "application":
        raise invalid(
            "`controller[losses][payments]=application` requires "
            "`controller[fees][payer]=application`.",
            "controller[losses][payments]",
        )
    return {
        "fees": {"payer": fees},
        "losses": {"payments": losses},
        "requirement_collection": collection,
        "stripe_dashboard": {"type": dashboard},
    }


def _type_of(controller: dict[str, Any]) -> str:
    dashboard = controller["stripe_dashboard"]["type"]
    if dashboard == "full":
        return "standard"
    if dashboard == "express":
        return "express"
    return "custom"


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(self, data: dict[str, Any]) -> None:
        # Everything is checked before StripeObject.__init__ stores the object.
        _check_known(
            data,
            (
                "type", "controller", "country", "email", "capabilities", "business_type",
                "business_profile", "metadata", "default_currency", "settings",
                "tos_acceptance", "individual", "company", "external_account", "documents",
            ),
        )  # fmt: skip
        account_type = _string(data, "type")
        if account_type is not None and "controller" in data:
            raise invalid("You cannot specify both `type` and `controller`.", "type")
        if account_type is not None:
            if account_type not in ("custom", "express", "standard"):
                raise invalid(
                    f"Invalid type: must be one of custom, express, or standard "
                    f"(received '{account_type}')",
                    "type",
                )
            controller = _controller_for_type(account_type)
        else:
            controller = _controller_from_params(data.get("controller", {}))
            account_type = _type_of(controller)
        country = (_string(data, "country") or DEFAULT_COUNTRY).upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise invalid(f"Country '{country}' is unknown.", "country")
        requested = self._requested_capabilities(data.get("capabilities", {}))
        if account_type == "express" and not requested & {"transfers", "card_payments"}:
            raise invalid(
                "Express accounts must request the `transfers` or the `card_payments` "
                "capability (capabilities[transfers][requested]=true).",
                "capabilities",
            )
        business_profile = data.get("business_profile", {})
        if not isinstance(business_profile, dict):
            raise invalid("Invalid object", "business_profile")
        _check_known(
            business_profile,
            ("mcc", "name", "product_description", "support_email", "support_phone",
             "support_url", "url"),
        )  # fmt: skip
        business_type = _string(data, "business_type")
        if business_type not in (None, "company", "government_entity", "individual", "non_profit"):
            raise invalid(f"Invalid business_type: {business_type}", "business_type")
        default_currency = (
            _string(data, "default_currency")
            or COUNTRY_CURRENCIES.get(country)
            or ("eur" if country in EURO_COUNTRIES else "usd")
        ).lower()
        email = _string(data, "email")
        metadata = _metadata(data)

        super().__init__()
        self.type = account_type
        self.controller = {
            **controller,
            "is_controller": True,
            "type": "application",
        }
        self.country = country
        self.email = email
        self.default_currency = default_currency
        self.business_type = business_type
        self.business_profile = {
            key: business_profile.get(key)
            for key in ("mcc", "name", "product_description", "support_email",
                        "support_phone", "support_url", "url")
        }  # fmt: skip
        self.business_profile["support_address"] = None
        self.metadata = metadata
        self._requested = requested
        self.capabilities = {name: "inactive" for name in sorted(requested)}
        self.details_submitted = False
        self.charges_enabled = False
        self.payouts_enabled = False
        self.requirements = _empty_requirements()
        self.requirements.update(
            currently_due=list(INITIAL_REQUIREMENTS),
            eventually_due=list(INITIAL_REQUIREMENTS),
            past_due=list(INITIAL_REQUIREMENTS),
            disabled_reason="requirements.past_due",
        )
        self.future_requirements = _empty_requirements()
        self.tos_acceptance: dict[str, Any] = {"date": None, "ip": None, "user_agent": None}
        self.external_accounts: list[dict[str, Any]] = []

    @staticmethod
    def _requested_capabilities(value: Any) -> set[str]:
        if not isinstance(value, dict):
            raise invalid("Invalid object", "capabilities")
        requested = set()
        for name, options in value.items():
            if not (isinstance(options, dict) and "requested" in options):
                raise invalid(
                    f"Missing required param: capabilities[{name}][requested].",
                    f"capabilities[{name}][requested]",
                    "parameter_missing",
                )
            if str(options["requested"]).lower() == "true":
                requested.add(name)
        return requested

    @classmethod
    def _get(cls, id: str, what: str = "account", param: str = "id", status: int = 404) -> Account:
        obj = store.get("account:" + id) if isinstance(id, str) else None
        if not isinstance(obj, Account):
            raise missing(what, str(id), param, status)
        return obj

    def _update_from_params(self, data: dict[str, Any]) -> None:
        _check_known(data, ("email", "metadata", "business_profile", "capabilities"))
        email = _string(data, "email")
        metadata = _metadata(data, self.metadata)
        requested = self._requested_capabilities(data.get("capabilities", {}))
        profile = data.get("business_profile", {})
        if not isinstance(profile, dict):
            raise invalid("Invalid object", "business_profile")
        _check_known(profile, [key for key in self.business_profile if key != "support_address"])
        if email is not None:
            self.email = email
        self.metadata = metadata
        self.business_profile.update(profile)
        for name in requested - self._requested:
            self.capabilities[name] = "active" if self.details_submitted else "inactive"
        self._requested |= requested

    def _complete_onboarding(self, ip: str | None) -> None:
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.business_type = self.business_type or "individual"
        for name in self._requested:
            self.capabilities[name] = "active"
        self.requirements = _empty_requirements()
        self.tos_acceptance = {"date": int(time.time()), "ip": ip, "user_agent": None}
        if not self.external_accounts:
            self.external_accounts.append(
                {
                    "id": "ba_" + random_id(24),
                    "object": "bank_account",
                    "account": self.id,
                    "account_holder_name": None,
                    "account_holder_type": None,
                    "bank_name": "STRIPE TEST BANK",
                    "country": self.country,
                    "currency": self.default_currency,
                    "default_for_currency": True,
                    "fingerprint": random_id(16),
                    "last4": "6789",
                    "metadata": {},
                    "routing_number": "110000000",
                    "status": "new",
                }
            )

    def _leave_details_missing(self) -> None:
        self.details_submitted = False
        self.charges_enabled = False
        self.payouts_enabled = False
        for name in self._requested:
            self.capabilities[name] = "inactive"
        self.requirements = _empty_requirements()
        self.requirements.update(
            currently_due=list(MISSING_AFTER_INCOMPLETE_ONBOARDING),
            eventually_due=list(MISSING_AFTER_INCOMPLETE_ONBOARDING),
            past_due=list(MISSING_AFTER_INCOMPLETE_ONBOARDING),
            disabled_reason="requirements.past_due",
        )

    def _set_state(self, state: dict[str, Any]) -> None:
        allowed = (
            "payouts_enabled", "charges_enabled", "details_submitted", "transfers",
            "currently_due", "disabled_reason",
        )  # fmt: skip
        _check_known(state, allowed)
        for flag in ("payouts_enabled", "charges_enabled", "details_submitted"):
            if flag in state and not isinstance(state[flag], bool):
                raise invalid(f"{flag} must be true or false", flag)
        transfers = state.get("transfers")
        if transfers is not None and transfers not in CAPABILITY_STATUSES:
            raise invalid(f"transfers must be one of {', '.join(CAPABILITY_STATUSES)}", "transfers")
        due = state.get("currently_due")
        if due is not None and not (
            isinstance(due, list) and all(isinstance(item, str) for item in due)
        ):
            raise invalid("currently_due must be a list of strings", "currently_due")
        reason = state.get("disabled_reason")
        if reason is not None and not isinstance(reason, str):
            raise invalid("disabled_reason must be a string or null", "disabled_reason")

        for flag in ("payouts_enabled", "charges_enabled", "details_submitted"):
            if flag in state:
                setattr(self, flag, state[flag])
        if transfers is not None:
            self._requested.add("transfers")
            self.capabilities["transfers"] = transfers
        if due is not None:
            self.requirements = _empty_requirements()
            self.requirements.update(
                currently_due=list(due),
                eventually_due=list(due),
                past_due=list(due),
                disabled_reason="requirements.past_due" if due else None,
            )
        if "disabled_reason" in state:
            self.requirements["disabled_reason"] = reason

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return json.loads(
            json.dumps(
                {
                    "id": self.id,
                    "object": "account",
                    "business_profile": self.business_profile,
                    "business_type": self.business_type,
                    "capabilities": self.capabilities,
                    "charges_enabled": self.charges_enabled,
                    "controller": self.controller,
                    "country": self.country,
                    "created": self.created,
                    "default_currency": self.default_currency,
                    "details_submitted": self.details_submitted,
                    "email": self.email,
                    "external_accounts": {
                        "object": "list",
                        "data": self.external_accounts,
                        "has_more": False,
                        "total_count": len(self.external_accounts),
                        "url": f"/v1/accounts/{self.id}/external_accounts",
                    },
                    "future_requirements": self.future_requirements,
                    "metadata": self.metadata,
                    "payouts_enabled": self.payouts_enabled,
                    "requirements": self.requirements,
                    "settings": self._settings(),
                    "tos_acceptance": self.tos_acceptance,
                    "type": self.type,
                }
            )
        )

    def _settings(self) -> dict[str, Any]:
        name = self.business_profile.get("name")
        return {
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": name, "timezone": "Etc/UTC"},
            "payments": {
                "statement_descriptor": None,
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        }


class AccountLink(StripeObject):
    """Stripe's account links have no id: ours has one, the token in its url, kept private."""

    object = "account_link"
    _id_prefix = "aclink_"

    def __init__(self, account: Account, refresh_url: str, return_url: str, link_type: str):
        super().__init__(id="aclink_" + secrets.token_urlsafe(18))
        self.expires_at = self.created + ACCOUNT_LINK_LIFETIME
        self._account = account.id
        self._refresh_url = refresh_url
        self._return_url = return_url
        self._type = link_type
        self._visited_at: int | None = None
        self._submitted = False
        self._base_url = ""

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "object": "account_link",
            "created": self.created,
            "expires_at": self.expires_at,
            "url": self._base_url + ONBOARDING_PATH.format(token=self.id),
        }


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: Transfer, amount: int, metadata: dict[str, str]) -> None:
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.metadata = metadata
        self.transfer = transfer.id
        self.balance_transaction = "txn_" + random_id(24)
        self.destination_payment_refund = "pyr_" + random_id(24)

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "transfer_reversal",
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "destination_payment_refund": self.destination_payment_refund,
            "metadata": dict(self.metadata),
            "source_refund": None,
            "transfer": self.transfer,
        }


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, data: dict[str, Any]) -> None:
        _check_known(
            data,
            ("amount", "currency", "destination", "description", "metadata",
             "source_transaction", "source_type", "transfer_group"),
        )  # fmt: skip
        amount = _required_int(data, "amount")
        currency = _currency(data)
        destination_id = _required_string(data, "destination")
        description = _string(data, "description")
        transfer_group = _string(data, "transfer_group")
        metadata = _metadata(data)
        source_transaction = _string(data, "source_transaction")
        if source_transaction is not None and "charge:" + source_transaction not in store:
            raise missing("charge", source_transaction, "source_transaction", 400)
        source_type = _string(data, "source_type") or "card"
        if source_type not in ("bank_account", "card", "fpx"):
            raise invalid(f"Invalid source_type: {source_type}", "source_type")
        destination = Account._get(destination_id, "destination", "destination", 400)
        if destination.capabilities.get("transfers") != "active":
            raise refusal(
                CAPABILITY_REFUSAL, "destination", "insufficient_capabilities_for_transfer"
            )

        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency
        self.description = description
        self.destination = destination.id
        self.metadata = metadata
        self.source_transaction = source_transaction
        self.source_type = source_type
        self.transfer_group = transfer_group
        self.balance_transaction = "txn_" + random_id(24)
        self.destination_payment = "py_" + random_id(24)
        self._reversals: list[str] = []

    @classmethod
    def _get(cls, id: str) -> Transfer:
        obj = store.get("transfer:" + id)
        if not isinstance(obj, Transfer):
            raise missing("transfer", id)
        return obj

    def _reversal_objects(self) -> list[TransferReversal]:
        return [store["transfer_reversal:" + id] for id in reversed(self._reversals)]

    def _reverse(self, data: dict[str, Any]) -> TransferReversal:
        _check_known(data, ("amount", "description", "metadata", "refund_application_fee"))
        remaining = self.amount - self.amount_reversed
        amount = _positive_int(data, "amount", required=False)
        metadata = _metadata(data)
        if remaining == 0:
            raise refusal(f"Transfer {self.id} has already been fully reversed.", "amount")
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise refusal(
                f"You cannot reverse more than the amount remaining on transfer {self.id}: "
                f"you asked for {amount}, and {remaining} ({self.currency}) of its "
                f"{self.amount} can still be reversed.",
                "amount",
            )
        reversal = TransferReversal(self, amount, metadata)
        self._reversals.append(reversal.id)
        self.amount_reversed += amount
        return reversal

    @property
    def _reversed(self) -> bool:
        return self.amount_reversed >= self.amount

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        reversals = self._reversal_objects()
        destination: Any = self.destination
        if expand and "destination" in expand:
            destination = Account._get(self.destination)._export()
        return {
            "id": self.id,
            "object": "transfer",
            "amount": self.amount,
            "amount_reversed": self.amount_reversed,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "destination": destination,
            "destination_payment": self.destination_payment,
            "livemode": False,
            "metadata": dict(self.metadata),
            "reversals": {
                "object": "list",
                "data": [reversal._export() for reversal in reversals[:10]],
                "has_more": len(reversals) > 10,
                "total_count": len(reversals),
                "url": f"/v1/transfers/{self.id}/reversals",
            },
            "reversed": self._reversed,
            "source_transaction": self.source_transaction,
            "source_type": self.source_type,
            "transfer_group": self.transfer_group,
        }


class ConnectEvent(Event):
    """An event shaped like Stripe's current ones (localstripe's lack pending_webhooks...)."""

    def __init__(
        self,
        type: str,
        data: dict[str, Any],
        previous_attributes: dict[str, Any] | None = None,
        account: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> None:
        StripeObject.__init__(self)
        self.type = type
        self.data = {"object": data}
        if previous_attributes is not None:
            self.data["previous_attributes"] = previous_attributes
        self.api_version = API_VERSION
        self.request = request or {"id": None, "idempotency_key": None}
        self._account = account
        self.pending_webhooks = sum(
            1 for hook in _webhooks.values() if hook.events is None or type in hook.events
        )

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        exported = {
            "id": self.id,
            "object": "event",
            "api_version": self.api_version,
            "created": self.created,
            "data": self.data,
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": self.request,
            "type": self.type,
        }
        if self._account is not None:
            # As on a Connect endpoint: the connected account the event happened on.
            exported["account"] = self._account
        return exported


def _changes(before: Any, after: Any) -> Any:
    """Stripe's previous_attributes: the old values of what changed (recursing into objects)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed = {}
        for key in before.keys() | after.keys():
            if before.get(key) != after.get(key):
                changed[key] = _changes(before.get(key), after.get(key))
        return changed
    return before


def emit(
    type: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    account: str | None = None,
    request: web.Request | None = None,
) -> ConnectEvent | None:
    """Record the event and have localstripe deliver it, signed, to every registered webhook."""
    now = obj._export()
    previous = None
    if before is not None:
        previous = _changes(before, now)
        if not previous:
            return None
    request_info = None
    if request is not None:
        request_info = {
            "id": request.get("coop_request_id"),
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
    event = ConnectEvent(type, now, previous, account, request_info)
    schedule_webhook(event)
    return event


# -- lists ---------------------------------------------------------------------------------


def _created_filter(value: Any) -> Callable[[int], bool]:
    if value is None:
        return lambda _created: True
    if isinstance(value, str):
        exact = _positive_int({"created": value}, "created")
        return lambda created: created == exact
    if not isinstance(value, dict):
        raise invalid("Invalid object", "created")
    _check_known(value, ("gt", "gte", "lt", "lte"))
    bounds = {op: _positive_int(value, op) for op in value}
    tests = {
        "gt": lambda c, b: c > b,
        "gte": lambda c, b: c >= b,
        "lt": lambda c, b: c < b,
        "lte": lambda c, b: c <= b,
    }
    return lambda created: all(tests[op](created, bound) for op, bound in bounds.items())


def list_response(
    objects: list[Any], url: str, query: dict[str, Any], expand: list[str]
) -> web.Response:
    """A page of ``objects`` (newest first), paginated as Stripe does."""
    limit = _positive_int(query, "limit", required=False) or 10
    if limit > 100:
        raise invalid("This value must be less than or equal to 100.", "limit")
    ids = [obj.id for obj in objects]
    after, before = query.get("starting_after"), query.get("ending_before")
    if after is not None and before is not None:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after."
        )
    if after is not None:
        if after not in ids:
            raise missing("object", str(after), "starting_after", 400)
        page = objects[ids.index(after) + 1 :][:limit]
        has_more = ids.index(after) + 1 + limit < len(objects)
    elif before is not None:
        if before not in ids:
            raise missing("object", str(before), "ending_before", 400)
        end = ids.index(before)
        page = objects[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page, has_more = objects[:limit], len(objects) > limit
    server = _localstripe()[1]
    return server.json_response(
        {
            "object": "list",
            "data": [obj._export(expand=[e.removeprefix("data.") for e in expand]) for obj in page],
            "has_more": has_more,
            "url": url,
        }
    )


def _stored(cls: type[StripeObject]) -> list[Any]:
    """Every stored object of ``cls``, newest first."""
    prefix = cls.object + ":"
    found = [obj for key, obj in store.items() if key.startswith(prefix) and isinstance(obj, cls)]
    return list(reversed(found))


# -- idempotency ---------------------------------------------------------------------------


def _idempotency_records() -> dict[str, dict[str, Any]]:
    records = store.get(IDEMPOTENCY_RECORDS_KEY)
    if records is None:
        records = {}
        # dict's own method: not the store's __setitem__, which would save it all to disk now
        # (the save after the request will).
        dict.__setitem__(store, IDEMPOTENCY_RECORDS_KEY, records)
    now = time.time()
    # Oldest first (insertion order): drop expired ones from the front only, cheaply.
    while records:
        oldest = next(iter(records))
        if now - records[oldest]["created"] < IDEMPOTENCY_TTL:
            break
        del records[oldest]
    return records


_in_flight: set[str] = set()


def _idempotency_error(message: str, status: int = 400) -> web.Response:
    server = _localstripe()[1]
    body = {"error": {"type": "idempotency_error", "message": message}}
    return server.json_response(body, status=status)


@web.middleware
async def idempotency_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Stripe's idempotency for Connect's POSTs, keyed on (secret key, Idempotency-Key).

    The first request's status and body are saved when the endpoint ran (a success, or a refusal
    such as a declined card or a transfer to an account that cannot receive), not when its
    parameters were refused; a later request with the key gets them back if it has the same
    endpoint and parameters, and an ``idempotency_error`` otherwise.
    """
    request["coop_request_id"] = "req_" + random_id(14)
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not IDEMPOTENT_PATHS.match(request.path):
        return await handler(request)

    resources, server = _localstripe()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        message = f"Invalid Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."
        return invalid(message).to_response()
    data = await server.get_post_data(request, remove_auth=False) or {}
    api_key = server.get_api_key(request) or data.get("key", "")
    scope = hashlib.sha256(f"{api_key}\0{key}".encode()).hexdigest()
    endpoint = f"{request.method} {request.path}"
    params = json.dumps(data, sort_keys=True, default=str)

    records = _idempotency_records()
    record = records.get(scope)
    if scope in _in_flight:
        return _idempotency_error(
            "There is currently another in-progress request using this Idempotent Key (that "
            "probably means you submitted twice, and the other request is still going through): "
            f"{key}. Please try again later.",
            409,
        )
    if record is not None:
        if record["endpoint"] != endpoint:
            return _idempotency_error(
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{record['path']}' vs '{request.path}'). Try using a key other "
                f"than '{key}' if you meant to execute a different request."
            )
        if record["params"] != params:
            return _idempotency_error(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        return web.Response(
            body=record["body"],
            status=record["status"],
            content_type="application/json",
            headers={
                "Idempotent-Replayed": "true",
                "Idempotency-Key": key,
                "Original-Request": record["request_id"],
                "Request-Id": request["coop_request_id"],
            },
        )

    _in_flight.add(scope)
    try:
        save = False
        try:
            response = await handler(request)
            save = 200 <= response.status < 300
        except resources.UserError as error:
            response = error.to_response()
            # Card declines (402) and refusals by the endpoint itself are results; a request
            # refused for its parameters never began, so Stripe saves nothing for it.
            save = error.code == 402 or getattr(error, "idempotent_result", False)
        if save and isinstance(response, web.Response) and response.body is not None:
            body = response.body
            records[scope] = {
                "created": time.time(),
                "endpoint": endpoint,
                "path": request.path,
                "params": params,
                "status": response.status,
                "body": bytes(body) if isinstance(body, bytes | bytearray) else body,
                "request_id": request["coop_request_id"],
            }
        response.headers["Idempotency-Key"] = key
        response.headers["Request-Id"] = request["coop_request_id"]
        return response
    finally:
        _in_flight.discard(scope)


# -- handlers ------------------------------------------------------------------------------


async def _post_data(request: web.Request) -> dict[str, Any]:
    server = _localstripe()[1]
    data = await server.get_post_data(request) or {}
    return dict(data)


def _query(request: web.Request) -> dict[str, Any]:
    server = _localstripe()[1]
    return dict(server.unflatten_data(request.query) or {})


def _json(obj: dict[str, Any]) -> web.Response:
    server = _localstripe()[1]
    return server.json_response(obj)


async def create_account(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    account = Account(data)
    return _json(account._export())


def retrieve_account(request: web.Request) -> web.Response:
    _expand(_query(request))
    return _json(Account._get(request.match_info["id"])._export())


async def update_account(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    account = Account._get(request.match_info["id"])
    before = account._export()
    account._update_from_params(data)
    emit("account.updated", account, before=before, account=account.id, request=request)
    return _json(account._export())


def list_accounts(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    created = _created_filter(query.pop("created", None))
    _check_known(query, ("limit", "starting_after", "ending_before"))
    accounts = [a for a in _stored(Account) if created(a.created)]
    return list_response(accounts, "/v1/accounts", query, expand)


async def create_account_link(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    _check_known(
        data, ("account", "refresh_url", "return_url", "type", "collect", "collection_options")
    )
    account_id = _required_string(data, "account")
    link_type = _string(data, "type", required=True)
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid(
            f"Invalid type: must be one of account_onboarding or account_update "
            f"(received '{link_type}')",
            "type",
        )
    refresh_url = _url(data, "refresh_url")
    return_url = _url(data, "return_url")
    if data.get("collect") not in (None, "currently_due", "eventually_due"):
        raise invalid("Invalid collect: must be currently_due or eventually_due", "collect")
    account = Account._get(account_id, param="account", status=400)
    if (
        link_type == "account_update"
        and account.controller["requirement_collection"] != "application"
    ):
        raise invalid(
            "You cannot create `account_update` type Account Links for accounts where Stripe is "
            "responsible for collecting requirements; use `account_onboarding` or an Express "
            "Dashboard login link.",
            "type",
        )
    link = AccountLink(account, refresh_url, return_url, link_type)
    link._base_url = str(request.url.origin())
    return _json(link._export())


async def create_transfer(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    transfer = Transfer(data)
    emit("transfer.created", transfer, request=request)
    return _json(transfer._export(expand))


def retrieve_transfer(request: web.Request) -> web.Response:
    expand = _expand(_query(request))
    return _json(Transfer._get(request.match_info["id"])._export(expand))


async def update_transfer(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    _check_known(data, ("description", "metadata"))
    transfer = Transfer._get(request.match_info["id"])
    description = _string(data, "description")
    metadata = _metadata(data, transfer.metadata)
    before = transfer._export()
    if description is not None:
        transfer.description = description
    transfer.metadata = metadata
    emit("transfer.updated", transfer, before=before, request=request)
    return _json(transfer._export(expand))


def list_transfers(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    created = _created_filter(query.pop("created", None))
    destination = query.pop("destination", None)
    group = query.pop("transfer_group", None)
    _check_known(query, ("limit", "starting_after", "ending_before"))
    transfers = [
        t
        for t in _stored(Transfer)
        if created(t.created)
        and (destination is None or t.destination == destination)
        and (group is None or t.transfer_group == group)
    ]
    return list_response(transfers, "/v1/transfers", query, expand)


async def create_reversal(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    transfer = Transfer._get(request.match_info["id"])
    before = transfer._export()
    reversal = transfer._reverse(data)
    emit("transfer.reversed", transfer, before=before, request=request)
    return _json(reversal._export())


def list_reversals(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    _check_known(query, ("limit", "starting_after", "ending_before"))
    transfer = Transfer._get(request.match_info["id"])
    url = f"/v1/transfers/{transfer.id}/reversals"
    return list_response(transfer._reversal_objects(), url, query, expand)


def retrieve_reversal(request: web.Request) -> web.Response:
    transfer = Transfer._get(request.match_info["id"])
    reversal_id = request.match_info["reversal"]
    if reversal_id not in transfer._reversals:
        raise missing("transfer reversal", reversal_id)
    return _json(store["transfer_reversal:" + reversal_id]._export())


async def set_account_state(request: web.Request) -> web.Response:
    """Test helper: set an account's state directly; sends account.updated if it changed."""
    try:
        state = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Send a JSON object.") from None
    if not isinstance(state, dict):
        raise invalid("Send a JSON object.")
    account = Account._get(request.match_info["id"])
    before = account._export()
    account._set_state(state)
    emit("account.updated", account, before=before, account=account.id)
    return _json(account._export())


# -- onboarding page -----------------------------------------------------------------------

ONBOARDING_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Test onboarding</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
button{{display:block;margin:1rem 0;padding:.6rem 1rem;font-size:1rem}}</style></head>
<body>
<h1>Test onboarding</h1>
<p>Stripe emulator: no real details are collected. Connected account
<code>{account}</code>{email}.</p>
<form method="post">
<button type="submit" name="outcome" value="complete">Submit details</button>
<button type="submit" name="outcome" value="incomplete">Leave details missing</button>
</form>
</body>
</html>
"""


def _link(token: str) -> AccountLink:
    link = store.get("account_link:" + token)
    if not isinstance(link, AccountLink):
        raise web.HTTPNotFound(text="This onboarding link is not valid.")
    return link


def onboarding_page(request: web.Request) -> web.StreamResponse:
    """The page an account link opens. Like Stripe's, a link is single-use and short-lived:
    an expired or already visited link sends the browser to refresh_url."""
    link = _link(request.match_info["token"])
    now = int(time.time())
    if link._visited_at is not None or now > link.expires_at:
        raise web.HTTPSeeOther(location=link._refresh_url)
    link._visited_at = now
    account = Account._get(link._account)
    email = f" ({html.escape(account.email)})" if account.email else ""
    page = ONBOARDING_PAGE.format(account=html.escape(account.id), email=email)
    return web.Response(text=page, content_type="text/html")


async def submit_onboarding(request: web.Request) -> web.StreamResponse:
    link = _link(request.match_info["token"])
    form = await request.post()
    outcome = form.get("outcome")
    now = int(time.time())
    opened = link._visited_at if link._visited_at is not None else link.created
    if link._submitted or now - opened > ONBOARDING_SESSION_LIFETIME:
        raise web.HTTPSeeOther(location=link._refresh_url)
    if outcome not in ("complete", "incomplete"):
        raise web.HTTPBadRequest(text="outcome must be complete or incomplete")
    account = Account._get(link._account)
    before = account._export()
    if outcome == "complete":
        account._complete_onboarding(request.remote)
    else:
        account._leave_details_missing()
    link._submitted = True
    emit("account.updated", account, before=before, account=account.id)
    raise web.HTTPSeeOther(location=link._return_url)


def install(app: web.Application) -> None:
    """Register Connect's routes, and the idempotency middleware, on localstripe's app."""
    app.middlewares.append(idempotency_middleware)
    routes: list[tuple[str, str, Callable[[web.Request], Any]]] = [
        ("POST", "/v1/accounts", create_account),
        ("GET", "/v1/accounts", list_accounts),
        ("GET", "/v1/accounts/{id}", retrieve_account),
        ("POST", "/v1/accounts/{id}", update_account),
        ("POST", "/v1/account_links", create_account_link),
        ("POST", "/v1/transfers", create_transfer),
        ("GET", "/v1/transfers", list_transfers),
        ("GET", "/v1/transfers/{id}", retrieve_transfer),
        ("POST", "/v1/transfers/{id}", update_transfer),
        ("POST", "/v1/transfers/{id}/reversals", create_reversal),
        ("GET", "/v1/transfers/{id}/reversals", list_reversals),
        ("GET", "/v1/transfers/{id}/reversals/{reversal}", retrieve_reversal),
        ("POST", STATE_PATH, set_account_state),
        ("GET", ONBOARDING_PATH, onboarding_page),
        ("POST", ONBOARDING_PATH, submit_onboarding),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _coroutine(handler))


def _coroutine(
    handler: Callable[[web.Request], Any],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    # aiohttp deprecates plain-function handlers.
    async def wrapped(request: web.Request) -> web.StreamResponse:
        result = handler(request)
        if isinstance(result, Awaitable):
            result = await result
        if not isinstance(result, web.StreamResponse):
            raise TypeError(f"{handler.__name__} returned {result!r}")
        return result

    return wrapped
