"""Patronage dividends: the co-op's surplus for a period, shared among its members.

``core`` names the pure rules: the surplus, allocation policy, cash and retained parts in
``allocation``, the ledger drafts in ``postings`` and the 1099-PATR figures, revolving
redemptions and Subchapter T deadline in ``subchapter_t``.
"""
