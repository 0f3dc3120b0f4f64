"""A fake Slack: a real HTTP server speaking Slack's wire format, and a driver playing Slack towards an app."""

from bot.fakeslack.driver import AppResponse, SlackDriver
from bot.fakeslack.limits import check_message_blocks, check_view
from bot.fakeslack.payloads import DriverError
from bot.fakeslack.records import Call, Channel, Ephemeral, FileRecord, MentionHit, Message, View
from bot.fakeslack.serve import BackgroundServer
from bot.fakeslack.server import DEFAULT_SCOPES, FakeSlack

__all__ = [
    "DEFAULT_SCOPES",
    "AppResponse",
    "BackgroundServer",
    "Call",
    "Channel",
    "DriverError",
    "Ephemeral",
    "FakeSlack",
    "FileRecord",
    "MentionHit",
    "Message",
    "SlackDriver",
    "View",
    "check_message_blocks",
    "check_view",
]
