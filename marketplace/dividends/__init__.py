"""Patronage dividends: the co-op's surplus for a period, shared among its members.

``core`` holds the pure rules (surplus, allocation policy, cash and retained parts), with the
ledger drafts in ``postings`` and the 1099-PATR figures, revolving redemptions and Subchapter T
deadline in ``subchapter_t`` (both re-exported by ``core``).
"""

# ``core`` re-exports ``postings`` and ``subchapter_t``, which import from it: importing it
# here first makes every import order work.
from marketplace.dividends import core as core  # noqa: F401
