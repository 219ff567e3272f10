"""Licences: the kinds on offer and their versioned terms, prices, issued licences, downloads."""
