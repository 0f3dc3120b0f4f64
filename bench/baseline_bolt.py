"""The baseline for the click benchmark: a bare Bolt app (same slack_bolt, process_before_response=True) with one
listener that only acks, served exactly like Countersign's /slack/events (FastAPI route -> Bolt in the threadpool)."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool


def create_app() -> FastAPI:
    """POST /slack/events: verify the signature, ack the Approve button, nothing else."""
    # The same Web API client setup as Countersign's (Bolt's authorize step calls auth.test once, on the fake).
    client = WebClient(token=os.environ["BENCH_BOT_TOKEN"], base_url=os.environ["BENCH_SLACK_API_URL"])
    bolt = App(
        client=client,
        signing_secret=os.environ["BENCH_SIGNING_SECRET"],
        token_verification_enabled=False,
        process_before_response=True,
    )

    @bolt.action("cs_approve")
    def approve(ack):  # type: ignore[no-untyped-def]
        ack()

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(bolt.dispatch, bolt_request))

    return app
