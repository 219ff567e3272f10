"""Members leaving and money a member owes: the pages and API (the rules live in
``membership.leaving``, ``ledger.member_debts`` and ``dividends.member_redemptions``)."""
