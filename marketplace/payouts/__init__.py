"""Paying members: payout accounts (Stripe Connect) and monthly royalty payouts by transfer.

``core`` holds the pure parts (what Stripe's requirement codes mean in plain words, the
monthly chart's buckets); ``services`` the use cases; ``views`` and ``api`` the pages and
endpoints of the member's earnings and the admin's payout runs.
"""
