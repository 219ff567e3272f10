"""Member governance: proposals, votes, elections and announcements."""
