"""Stop a job cleanly on SIGTERM or Ctrl-C: the first signal asks the job to stop at its next
safe point (predict: close the current shard and write the manifest); a second one stops it
at once, as the signal normally would."""

from __future__ import annotations

import signal
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """`with StopRequest(what) as stop: ... if stop.requested: ...` (main thread only; elsewhere
    the signals keep their usual effect)."""

    def __init__(self, what: str = "stopping after the current shard"):
        self.what = what
        self.signal: int | None = None
        self._previous: dict = {}

    @property
    def requested(self) -> bool:
        return self.signal is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signal).name if self.signal else ""

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signal or 0)  # what a shell reports for a process ended by it

    def _handle(self, signum, frame) -> None:
        if self.signal is None:
            self.signal = signum
            again = "Ctrl-C" if signum == signal.SIGINT else "the signal"
            print(f"\n{signal.Signals(signum).name}: {self.what} ({again} again to stop at once)",
                  file=sys.stderr, flush=True)
            return
        self.__exit__()  # a second signal: its usual effect
        signal.raise_signal(signum)

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


def ignore_in_worker() -> None:
    """In a worker process: leave SIGINT/SIGTERM to the parent, which stops the job cleanly
    (Ctrl-C reaches every process of the terminal's group)."""
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
