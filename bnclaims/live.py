"""What a run prints while it runs: one line per result as it finishes, and progress.

* :func:`result_line`: one record in at most :data:`COLUMNS` columns (mark, id, level, verdict, expected
  verdict, seconds, and as much of the scope as fits, cut with an ellipsis; the full scope is in the
  JSON ledger).
* :class:`Live`: prints each line as its record finishes. On a terminal a progress bar (tqdm) sits below
  the lines; elsewhere (CI logs, pipes) a heartbeat line goes to stderr every :data:`HEARTBEAT_S` seconds
  while a check runs, naming it and the count done, so a long run is never silent.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import IO, Any

__all__ = ["COLUMNS", "HEARTBEAT_S", "printable", "result_line", "Live"]

COLUMNS = 100
HEARTBEAT_S = 10.0


def printable(text: object) -> str:
    """``text`` with control characters (terminal escape sequences, newlines, C1 codes) shown as
    ``\\xNN`` escapes: what a user's check returns is displayed, never interpreted by the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] if c in "\t\n\r" else f"\\x{ord(c):02x}"
                   if ord(c) < 256 else f"\\u{ord(c):04x}" for c in str(text))


def _fit(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def result_line(record: Any, id_width: int = 0) -> str:
    """``ok   <id> <level> <verdict> <seconds>s <scope...>`` in at most :data:`COLUMNS` columns.

    The expected verdict is printed when it differs (``DIFF`` lines) and as ``(empirical)`` when
    there is none.
    """
    mark = "ok  " if record.as_expected else "DIFF"
    if record.expected is None:
        note = "(empirical)"
    else:
        note = "" if record.as_expected else f"(expected {record.expected})"
    rid = _fit(record.id, 47).ljust(min(max(id_width, len(record.id)), 47))
    head = f"{mark} {rid} {record.level:<8} {record.verdict:<12} {note:<11} {record.seconds:6.2f}s"
    head = _fit(head, COLUMNS)
    room = COLUMNS - len(head) - 2
    return head if room < 12 or not record.scope else f"{head}  {_fit(record.scope, room)}"


class Live:
    """Live output of a run of ``total`` checks (use as a context manager).

    ``lines``: print :func:`result_line` for each record as it finishes (to ``out``).
    ``bar``: a tqdm progress bar on ``err`` (only sensible on a terminal); without it, heartbeat lines.
    """

    def __init__(self, total: int, *, lines: bool = True, bar: bool = False, id_width: int = 0,
                 out: IO[str] | None = None, err: IO[str] | None = None,
                 heartbeat_s: float = HEARTBEAT_S) -> None:
        self.total, self.lines, self.id_width = total, lines, id_width
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.heartbeat_s = heartbeat_s
        self.done = 0
        self.current = ""
        self._started = time.monotonic()
        self._last = self._started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None
        if bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="check", file=self.err, dynamic_ncols=True, leave=False)

    def __enter__(self) -> "Live":
        if self._bar is None and self.heartbeat_s > 0:
            self._thread = threading.Thread(target=self._beat, name="bnclaims-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()

    def status(self, message: str) -> None:
        """A progress message from inside a check (shown on the bar; dropped otherwise)."""
        if self._bar is not None:
            self._bar.set_postfix_str(message[:60], refresh=True)

    def start(self, record_id: str, level: str) -> None:
        with self._lock:
            self.current = f"{record_id} [{level}]"
            self._last = time.monotonic()
        if self._bar is not None:
            self._bar.set_description(_fit(self.current, 50))

    def finished(self, record: Any) -> None:
        with self._lock:
            self.done += 1
            self._last = time.monotonic()
            if self.lines:
                line = result_line(record, self.id_width)
                if self._bar is not None:
                    self._bar.write(line, file=self.out)
                else:
                    print(line, file=self.out, flush=True)
        if self._bar is not None:
            self._bar.update(1)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.heartbeat_s)):
            with self._lock:
                now = time.monotonic()
                if now - self._last < self.heartbeat_s or not self.current:
                    continue
                self._last = now
                line = (f"... {self.done}/{self.total} checks done, {now - self._started:.0f}s; "
                        f"running {self.current}")
            print(_fit(line, COLUMNS), file=self.err, flush=True)
