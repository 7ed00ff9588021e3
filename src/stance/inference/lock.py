"""One job per output: an exclusive lock on `<output>.lock`, held for the whole job.

The lock is an `flock` on the file, which the kernel releases when its process ends however
it ends; the file says who holds it (pid, host, start time, command). A second job on the same
output is refused with the holder's details. A lock file left by a job that died (its flock
is gone) is taken over, with a note. A job that ends normally removes the file.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path

from stance.errors import StanceError


def lock_path(output: str | Path) -> Path:
    output = Path(output).absolute()
    return output.with_name(output.name + ".lock")


def describe(holder: dict) -> str:
    if not holder:
        return "a job that is starting"
    return (f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
            + (f": {holder['command']}" if holder.get("command") else ""))


class OutputLock:
    """`with OutputLock(output): ...` — raises StanceError when another live job holds it."""

    def __init__(self, output: str | Path):
        self.output = Path(output)
        self.path = lock_path(output)
        self.fd: int | None = None
        self.taken_over: dict | None = None  # the holder of a stale lock this job took over

    def __enter__(self) -> "OutputLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise StanceError(f"the output is in use by another job ({describe(holder)})",
                                  where=str(self.output),
                                  fix="wait for that job to end, or write to another output") from None
            except OSError as exc:  # a file system without locks (some network mounts)
                os.close(fd)
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP):
                    raise
                self.path.unlink(missing_ok=True)
                print(f"note: {self.output}: this file system cannot lock files ({exc.strerror}); "
                      "nothing stops a second job on the same output", file=sys.stderr)
                return self
            try:  # a job that just ended may have removed the file we opened: lock the new one
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read(fd)
        if previous:  # the file outlived its holder: that job died without removing it
            self.taken_over = previous
            print(f"note: {self.output}: taking over the lock of a job that is gone ({describe(previous)})",
                  file=sys.stderr)
        mine = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": " ".join(sys.argv)[:500]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(mine) + "\n").encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            self.path.unlink(missing_ok=True)  # before unlocking: a waiting opener sees a new file
            os.close(self.fd)
            self.fd = None


def _read(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {"pid": "?", "host": "?", "started": "?"}
