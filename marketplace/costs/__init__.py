"""Operating costs recorded as they happen: the admins' page and API, their ledger entries."""
