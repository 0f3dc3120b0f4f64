"""The Web API client (SLACK_API_URL, retry handlers), Slack errors mapped to the flow's NotifyError, auth check."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.flow.ports import NotifyError

TIMEOUT_SECONDS = 10
# Slack's own words for "try again later" (HTTP 429 and 5xx are retryable whatever the code says).
TEMPORARY = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "service_unavailable",
        "fatal_error",
        "request_timeout",
        "bad_gateway",
    }
)
RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
# The channel or thread is gone or closed to the bot: posting there again cannot help.
GONE = frozenset({"channel_not_found", "not_in_channel", "is_archived", "thread_not_found"})


def make_client(settings: Settings, *, paced_posts: bool = False) -> WebClient:
    """WebClient on SLACK_API_URL that rides out short blips; longer outages are the outbox's job.

    paced_posts: a 429 on chat.postMessage is raised at once instead of slept through in the client (the sweep
    paces messages per channel and lets other channels' work go ahead meanwhile)."""
    limited = PostsNotRetried(max_retry_count=1) if paced_posts else RateLimitErrorRetryHandler(max_retry_count=1)
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[ConnectionErrorRetryHandler(), limited, ServerErrorRetryHandler(max_retry_count=1)],
    )


class PostsNotRetried(RateLimitErrorRetryHandler):
    """Retries 429 answers after Retry-After, except chat.postMessage's (left to the sweep's pacing)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith("/chat.postMessage"):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class SlackFailure(NotifyError):
    """A NotifyError that keeps Slack's error code (e.g. channel_not_found)."""

    def __init__(self, code: str, *, retryable: bool, retry_after: float | None = None, in_doubt: bool = False) -> None:
        super().__init__(f"Slack: {code}", retryable=retryable, retry_after=retry_after, in_doubt=in_doubt)
        self.code = code


def failure(exc: Exception) -> SlackFailure:
    """Classify a Web API exception: rate limits, 5xx and network trouble are retryable, the rest is not."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str(exc.response.get("error") or f"http_{status}")
        after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        retry_after = float(after[0] if isinstance(after, list) else after) if after else None
        return SlackFailure(
            code, retryable=status == 429 or status >= 500 or code in TEMPORARY, retry_after=retry_after
        )
    return SlackFailure(f"{type(exc).__name__}: {exc}", retryable=True, in_doubt=True)  # no answer from Slack


@contextmanager
def slack_call() -> Iterator[None]:
    """Turn whatever a Web API call raises into a SlackFailure."""
    try:
        yield
    except (SlackApiError, SlackClientError, URLError, OSError) as exc:
        raise failure(exc) from exc


class AuthCheck:
    """`app.state.slack_check` for /readyz: a cached auth.test, "ok" or what is wrong."""

    def __init__(self, client: WebClient, ttl: float = 30.0) -> None:
        self.client, self.ttl = client, ttl
        self._lock = threading.Lock()
        self._result: tuple[float, str] | None = None

    def __call__(self) -> str:
        with self._lock:
            if self._result and time.monotonic() < self._result[0]:
                return self._result[1]
            try:
                with slack_call():
                    self.client.auth_test()
                answer = "ok"
            except SlackFailure as exc:
                answer = f"auth.test failed: {exc.code}"
            self._result = (time.monotonic() + self.ttl, answer)
            return answer
