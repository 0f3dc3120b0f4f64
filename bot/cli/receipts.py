"""`countersign receipts key|verify`: the receipt public key, and checking one receipt offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from bot.cli.common import console, fail, services_or_exit, settings_or_exit
from bot.cli.helptext import Command, Group
from bot.errors import CountersignError
from bot.receipts.keys import service_key
from connectors.verify import InvalidReceipt, verify_receipt

app = typer.Typer(
    cls=Group,
    help="Signed decision receipts: the public key, and checking a receipt.\n\n"
    "Example: [bold]countersign receipts verify receipt.json --payload payload.json[/]",
    no_args_is_help=True,
)


def _configured_key() -> dict[str, str]:
    svc = services_or_exit(settings_or_exit())
    try:
        return service_key(svc).describe()
    except CountersignError as exc:
        fail(exc.message, 2)


@app.command("key", cls=Command)
def key(
    pem: bool = typer.Option(False, "--pem", help="Print only the PEM public key."),
    as_json: bool = typer.Option(False, "--json", help="Print the key as JSON, as GET /api/v1/receipts/key does."),
) -> None:
    """Print the Ed25519 public key that signs receipts (give it to the systems that check them).

    Example: [bold]countersign receipts key --pem > countersign-receipts.pem[/]
    """
    described = _configured_key()
    if as_json:
        print(json.dumps(described, indent=2))
    elif pem:
        print(described["public_key_pem"], end="")
    else:
        print(f"key_id: {described['key_id']}")
        print(f"public_key: {described['public_key']}")
        print(described["public_key_pem"], end="")


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the {what} file {path}: {exc}")


def _key_argument(value: str | None) -> Any:
    if value is None:
        return _configured_key()["public_key"]
    candidate = Path(value)
    if candidate.is_file():
        return _read(candidate, "key").strip()
    return value


@app.command("verify", cls=Command)
def verify(
    file: Path = typer.Argument(..., help="The receipt: its JSON, or a Countersign-Receipt header value."),
    payload: Path | None = typer.Option(
        None, "--payload", help="A JSON file with the payload to act on; it must be the one the receipt signed."
    ),
    key_value: str | None = typer.Option(
        None, "--key", help="Public key: base64url text or a PEM file. Default: this service's own key."
    ),
) -> None:
    """Check a receipt's signature (and, with --payload, that it covers that exact payload); exit 1 if not.

    Example: [bold]countersign receipts verify receipt.json --payload payload.json --key countersign-receipts.pem[/]
    """
    receipt = _read(file, "receipt")
    args: list[Any] = [_key_argument(key_value), receipt]
    if payload is not None:
        try:
            args.append(json.loads(_read(payload, "payload")))
        except ValueError as exc:
            fail(f"the payload file {payload} is not JSON: {exc}")
    try:
        body = verify_receipt(*args, decisions=None)
    except InvalidReceipt as exc:
        fail(f"receipt not valid: {exc.reason}")
    deciders = ", ".join(body.get("deciders") or []) or "nobody (decided by the policy or the clock)"
    console.print(f"Receipt valid: {body.get('decision')} {body.get('workflow')}/{body.get('action')}", highlight=False)
    console.print(f"  proposal {body.get('proposal_id')}, version {body.get('version')}", highlight=False)
    console.print(f"  decided by {deciders} at {body.get('decided_at')}", highlight=False)
    if payload is not None:
        console.print("  payload matches the signed SHA-256", highlight=False)
    else:
        console.print("  payload not checked (pass --payload FILE to check it)", highlight=False)
