"""Patronage dividends: the co-op's surplus for a period, shared among its members.

``core`` holds the pure rules (surplus, allocation policy, cash and retained parts, 1099-PATR
figures, revolving redemptions, the Subchapter T deadline and the ledger drafts).
"""
