"""The digest in Slack: post it to the review channel, then its chart in the digest's thread."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.digest import chart
from bot.digest.render import digest_blocks, digest_text
from bot.digest.report import DigestReport
from bot.flow.ports import MessageRef
from bot.slack.client import slack_call


class SlackDigestPublisher:
    """DigestPublisher over a WebClient; failures raise NotifyError (slack_call) for the sweep to retry or record."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post_digest(self, report: DigestReport) -> MessageRef:
        """Post the digest (mentioning the owner) to the review channel."""
        with slack_call():
            resp = self.client.chat_postMessage(
                channel=report.review_channel,
                text=digest_text(report),
                blocks=digest_blocks(report),
                unfurl_links=False,
                unfurl_media=False,
            )
        return MessageRef(channel=str(resp["channel"]), ts=str(resp["ts"]))

    def post_chart(self, report: DigestReport, ref: MessageRef, png: bytes) -> None:
        """Upload the chart into the digest's thread (files upload v2: get URL, upload, complete)."""
        with slack_call():
            self.client.files_upload_v2(
                channel=ref.channel,
                thread_ts=ref.ts,
                file=png,
                filename=f"digest-{report.workflow}-{report.period}.png",
                title=f"{report.workflow}: proposals per day, {report.label}",
                alt_txt=chart.alt_text(report),
            )
