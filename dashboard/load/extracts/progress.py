"""Progress of a load: a bar per table (rows read, time left) on a terminal, plain lines otherwise."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

from tqdm import tqdm


class _Bar:
    def __init__(self, bar: tqdm | None) -> None:
        self._bar = bar
        self._done = 0

    def update_bytes(self, position: int) -> None:
        if self._bar is not None and position > self._done:
            self._bar.update(position - self._done)
            self._done = position

    def rows(self, count: int) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(f"{count:,} rows", refresh=False)


class Progress:
    """Where a load tells how it is going: stderr, as bars on a terminal and as lines in a log."""

    def __init__(self, enabled: bool = True, stream=None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.terminal = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()

    def line(self, message: str) -> None:
        if self.enabled:
            text = f"[{time.perf_counter() - self.started:6.1f}s] {message}"
            if self.terminal:
                tqdm.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)

    @contextlib.contextmanager
    def bar(self, label: str, total_bytes: int) -> Iterator[_Bar]:
        if not self.terminal:
            self.line(f"reading {label}")
            yield _Bar(None)
            return
        with tqdm(
            total=total_bytes, unit="B", unit_scale=True, desc=label, file=self.stream, leave=False
        ) as bar:
            yield _Bar(bar)
