"""The `countersign` command line."""

from __future__ import annotations

from bot.cli.main import app


def main() -> None:
    """Console-script entry point: log lines and warnings go to stderr, so stdout holds only results."""
    from bot.logs import configure

    configure("WARNING", "console")  # commands that load settings switch to their level and format
    app(prog_name="countersign")


__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
