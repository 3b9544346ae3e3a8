"""Labels and receipts: take data, return bytes, never touch the session (issue 4 and 5)."""
