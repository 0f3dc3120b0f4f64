"""Structured logs (structlog): readable console lines by default, JSON lines for log shippers."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time of each line (the CLI runner and tests swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure(level: str = "INFO", fmt: str = "console") -> None:
    """Route structlog and the standard library (uvicorn, apscheduler, slack_bolt) through one renderer."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _Stderr()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # a line per sweep or per readiness probe is noise
    # "skipped: maximum number of running instances" is the normal case of a wake-up during a running sweep
    # (which keeps claiming until nothing is due); job errors are logged by the runner itself.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.ERROR)


def reconfigure(level: str, fmt: str) -> None:
    """Apply the settings' level and format once they are known, if the entry point set up logging."""
    if any(isinstance(h, _Stderr) for h in logging.getLogger().handlers):
        configure(level, fmt)
