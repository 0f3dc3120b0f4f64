"""Signed decision receipts: a downstream system can check a decision before it acts (docs/receipts.md)."""
