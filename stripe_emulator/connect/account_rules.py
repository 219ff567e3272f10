"""What a connected account starts with: requirements, currencies, controllers."""

from __future__ import annotations

from typing import Any

from stripe_emulator.connect.errors import _check_known, invalid

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
