"""Throwaway TLS certificates for the SMTP stand-in's STARTTLS and implicit-TLS tests (trustme is a dev dependency)."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

from bot.fakes.smtp import Certificates


def make_certificates(directory: Path) -> Certificates:
    """Issue a CA and a server certificate for 127.0.0.1 and localhost now, so nothing secret or expiring is stored."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = directory / "smtp-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Certificates(context, str(ca_file))
