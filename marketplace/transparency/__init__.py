"""Transparency: the public open books and the members' annual report, read from the ledger."""
