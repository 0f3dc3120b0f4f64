"""What POST /slack/events checks before Bolt sees a request: size, signature headers, then the signature.

Without it, the body was read whole whatever its size (a 64 MiB unsigned body was buffered before the 401) and
a body Bolt cannot parse was a 500 with two error-level tracebacks. Here a declared or streamed size over the
limit is a 413, a request without Slack's signature headers is a 401 before its body is read, and the signature
is checked before any parsing: nobody without the signing secret gets further than a 401."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from slack_sdk.signature import SignatureVerifier

MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (big modal submissions) are a few hundred KiB


class Refused(Exception):
    """The request is answered with `response` and goes no further."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = JSONResponse({"error": message, "code": code}, status_code=status)


def _unsigned() -> Refused:
    return Refused(401, "InvalidSignature", "not signed by Slack (X-Slack-Signature) or signed too long ago")


class SlackRequestGate:
    """Reads a Slack request's body within the limits, or raises Refused."""

    def __init__(self, signing_secret: str, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.verifier, self.max_bytes = SignatureVerifier(signing_secret), max_bytes

    async def body(self, request: Request) -> bytes:
        """The verified raw body."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not timestamp or not signature:
            raise _unsigned()
        chunks, seen = [], 0
        async for chunk in request.stream():  # chunked bodies carry no Content-Length: count while reading
            seen += len(chunk)
            if seen > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
        body = b"".join(chunks)
        if not self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            raise _unsigned()
        return body

    def _too_large(self) -> Refused:
        return Refused(413, "BodyTooLarge", f"body is larger than {self.max_bytes} bytes")


def unparseable() -> Refused:
    """Signed, but not a payload Bolt can read (only Slack can sign, so this is Slack's or our bug)."""
    return Refused(400, "InvalidPayload", "the body is not a Slack payload (JSON or form-encoded UTF-8)")
