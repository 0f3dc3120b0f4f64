"""Socket Mode (SLACK_APP_TOKEN): connect on start-up without blocking it, close on shutdown."""

from __future__ import annotations

import threading

import structlog
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

log = structlog.get_logger(__name__)
RECONNECT_SECONDS = 10.0


class SocketMode:
    """Keeps one Socket Mode connection; a failed connect is logged and tried again until shutdown."""

    def __init__(self, app: App, app_token: str, client: WebClient) -> None:
        self.handler = SocketModeHandler(app, app_token, web_client=client)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Connect in the background (Slack being down must not stop the agent API from starting)."""
        self._thread = threading.Thread(target=self._connect, name="slack-socket-mode", daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        while not self._stop.is_set():
            try:
                self.handler.connect()
                log.info("socket mode connected")
                return
            except Exception as exc:  # noqa: BLE001 - logged and retried: events wait in Slack until we connect
                log.error("socket mode could not connect", error=f"{type(exc).__name__}: {exc}")
            self._stop.wait(RECONNECT_SECONDS)

    def stop(self) -> None:
        """Stop retrying and close the connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.handler.close()
