"""Audit log export (JSON Lines, CSV, OCSF) and offline verification of an export's hash chain."""
