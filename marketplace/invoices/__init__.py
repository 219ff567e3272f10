"""Invoices and credit notes: each paid order's invoice, each refund's credit note (issue 20)."""
