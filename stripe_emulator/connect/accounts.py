"""Connected accounts (``/v1/accounts``).

Objects subclass localstripe's StripeObject to live in its store (key "<object>:<id>"), be saved
with it and have ids like Stripe's; every method is private (localstripe's _export would list
public ones), and each class exports itself explicitly, shaped like Stripe's schema.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from localstripe.resources import StripeObject, random_id, store

from stripe_emulator.connect.account_rules import (
    CAPABILITY_STATUSES,
    COUNTRY_CURRENCIES,
    DEFAULT_COUNTRY,
    EURO_COUNTRIES,
    INITIAL_REQUIREMENTS,
    MISSING_AFTER_INCOMPLETE_ONBOARDING,
    _controller_for_type,
    _controller_from_params,
    _empty_requirements,
    _type_of,
)
from stripe_emulator.connect.errors import (
    _check_known,
    _metadata,
    _string,
    invalid,
    missing,
)


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
