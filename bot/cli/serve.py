"""`countersign serve` and `countersign migrate`."""

from __future__ import annotations

import typer

from bot.cli.common import console, fail, services_or_exit, settings_or_exit
from bot.errors import CountersignError


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 to accept outside connections)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="Worker processes. Use 1 with SQLite; scale out with replicas on PostgreSQL."),
) -> None:
    """Run the service: agent API, Slack endpoint (/slack/events), health checks and the scheduler.

    Example: [bold]DATABASE_URL=postgresql+psycopg://app@db/countersign countersign serve --host 0.0.0.0[/]
    """
    import uvicorn

    from bot.app import create_app
    from bot.logs import configure
    from bot.serving import uvicorn_options

    settings = settings_or_exit()
    configure(settings.log_level, settings.log_format)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        fail("--workers > 1 needs PostgreSQL (DATABASE_URL=postgresql+psycopg://...); SQLite is for one process", 2)
    try:
        app = create_app(settings)
    except CountersignError as exc:
        fail(exc.message, 2)
    console.print(f"Countersign listening on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if not settings.slack_enabled:
        console.print(
            "[yellow]Slack is not configured[/]: approval messages stay queued until SLACK_BOT_TOKEN and "
            "SLACK_SIGNING_SECRET are set (or try `countersign sandbox`)."
        )
    # Slow clients are bounded: request heads and bodies must arrive within COUNTERSIGN_READ_TIMEOUT.
    options = uvicorn_options(settings.read_timeout_seconds)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, **options)


def migrate() -> None:
    """Apply database migrations (also done automatically at start-up).

    Example: [bold]DATABASE_URL=postgresql+psycopg://app@db/countersign countersign migrate[/]
    """
    from bot.store.migrate import current_revision

    svc = services_or_exit(settings_or_exit(), migrate_db=True)
    console.print(f"database is at revision {current_revision(svc.engine)}")
