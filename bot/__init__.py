"""Countersign: the human-approval layer between AI agents and the systems they act on."""

__version__ = "0.1.0"
