"""The sweep's in-memory waiting line: items for channels Slack has not throttled run at once, in order."""

from __future__ import annotations

from types import SimpleNamespace

from bot.scheduler.pacing import Held, Pacer, Waiting


def test_items_of_unthrottled_channels_are_taken_at_once_in_claim_order() -> None:
    waiting, pacer = Waiting(), Pacer()  # the real monotonic clock: it moves between two readings
    for i in range(6):
        item = SimpleNamespace(id=i, proposal_id=f"p{i}")
        waiting.add(Held(item, None, "C1" if i % 2 else None))  # type: ignore[arg-type]
    taken = [waiting.take(pacer)[0] for _ in range(6)]
    assert [h.item.id for h in taken if h is not None] == [0, 1, 2, 3, 4, 5]
    assert len(waiting) == 0
