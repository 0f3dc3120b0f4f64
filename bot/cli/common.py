"""Helpers shared by CLI commands: settings and services with errors printed as one clear line."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from bot.config import Settings, load_settings
from bot.errors import CountersignError
from bot.flow.context import Services

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error line and exit."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: object) -> Settings:
    """Load settings or exit with the variable that is wrong."""
    from bot.logs import reconfigure

    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except CountersignError as exc:
        fail(exc.message, 2)
    reconfigure(settings.log_level, settings.log_format)
    return settings


def services_or_exit(settings: Settings, *, migrate_db: bool = True) -> Services:
    """Build services (and bring the database up to date) or exit with a clear message."""
    from bot.store import migrate
    from bot.wiring import build_services

    try:
        svc = build_services(settings)
        if migrate_db:
            migrate.upgrade(svc.engine)
        return svc
    except CountersignError as exc:
        fail(exc.message, 2)
    except Exception as exc:  # noqa: BLE001 - database down, bad URL: say which setting to look at
        fail(f"DATABASE_URL: cannot use the database ({str(exc).splitlines()[0]})", 2)
