"""Consent ledger (issue 3): built on `portal`; `portal` never imports this package."""
