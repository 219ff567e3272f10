"""Imports every model module so that the metadata knows every table (Alembic relies on it)."""

from marketplace.accounts.models import ApiToken, PasswordResetToken, User
from marketplace.assets.models import Asset, DuplicateFlag, Release
from marketplace.audit.models import AuditEntry
from marketplace.catalogue.models import SearchTerm
from marketplace.database import NamedSequence
from marketplace.dividends.models import (  # noqa: F401 - for the metadata
    DividendAllocation,
    DividendRun,
    RedemptionLine,
    RedemptionRun,
)
from marketplace.governance.models import (  # noqa: F401 - for the metadata
    Announcement,
    Ballot,
    Candidate,
    Proposal,
    ProposalComment,
    ProposalSupport,
    Vote,
    VoteParticipation,
)
from marketplace.lightboxes.models import Lightbox, LightboxItem  # noqa: F401 - for the metadata
from marketplace.membership.consent import PatronageConsent  # noqa: F401 - for the metadata
from marketplace.membership.models import (
    ApplicationSample,
    Member,
    MemberClass,
    MembershipApplication,
)
from marketplace.orders.models import CartItem, Order, OrderItem  # noqa: F401 - for the metadata
from marketplace.payments.models import (  # noqa: F401 - for the metadata
    Dispute,
    ReconciliationIssue,
    Refund,
    StripeEvent,
)
from marketplace.payouts.models import (  # noqa: F401 - for the metadata
    PayoutAccount,
    PayoutLine,
    PayoutRun,
)
from marketplace.taxes.models import TaxProfile  # noqa: F401 - for the metadata

__all__ = [
    "ApiToken",
    "ApplicationSample",
    "Asset",
    "DuplicateFlag",
    "Release",
    "AuditEntry",
    "Member",
    "MemberClass",
    "MembershipApplication",
    "NamedSequence",
    "SearchTerm",
    "PasswordResetToken",
    "User",
]
