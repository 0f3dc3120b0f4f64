"""The `countersign` command line."""

from __future__ import annotations

from bot.cli.main import app


def main() -> None:
    """Console-script entry point."""
    app(prog_name="countersign")


__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
