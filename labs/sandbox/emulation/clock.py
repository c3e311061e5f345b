"""The emulated account's clock: real time plus an offset the grader can move forward, so a
30-second visibility timeout or a one-hour token lifetime passes instantly."""

from __future__ import annotations

import datetime
import time


class Clock:
    """Wall-clock time shifted by `offset` seconds.

    Time keeps flowing (so moto's long polling, which waits until `now` passes a deadline,
    still ends); `advance` only ever moves it forward, as real time does."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as seen inside the emulated account."""
        return time.time() + self.offset

    def utcnow(self) -> datetime.datetime:
        """A naive UTC datetime, the form moto's own `utcnow` returns."""
        return datetime.datetime.fromtimestamp(self.now(), datetime.UTC).replace(tzinfo=None)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"the clock only moves forward (advance({seconds}) refused)")
        self.offset += seconds

    def __repr__(self) -> str:
        return f"Clock(offset={self.offset:g}s)"
