"""One job per output: the lock refuses a live holder and takes over a dead one's."""

import json
import os
import signal
import subprocess
import sys

import pytest

from stance.errors import StanceError
from stance.inference.lock import OutputLock, lock_path

HOLD = ("import sys; from stance.inference.lock import OutputLock\n"
        "with OutputLock(sys.argv[1]):\n"
        "    print('locked', flush=True)\n"
        "    sys.stdin.readline()\n")


def hold_lock(output) -> subprocess.Popen:
    """A process that holds the lock on `output` until its stdin closes."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(output)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_live_holder_is_named_and_its_lock_released_at_its_end(tmp_path):
    out = tmp_path / "labels.jsonl"
    holder = hold_lock(out)
    try:
        with pytest.raises(StanceError, match=rf"in use by another job \(pid {holder.pid} on .*, started 20"):
            with OutputLock(out):
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not lock_path(out).exists()  # a job that ends normally removes its lock file
    with OutputLock(out) as lock:
        assert lock.taken_over is None
        assert json.loads(lock_path(out).read_text())["pid"] == os.getpid()


def test_lock_of_a_dead_job_is_taken_over(tmp_path, capsys):
    out = tmp_path / "shards"
    holder = hold_lock(out)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert lock_path(out).exists()  # it could not clean up
    with OutputLock(out) as lock:
        assert lock.taken_over["pid"] == holder.pid
    assert f"taking over the lock of a job that is gone (pid {holder.pid} on " in capsys.readouterr().err
    assert not lock_path(out).exists()


def test_file_system_without_locks_goes_on_with_a_note(tmp_path, monkeypatch, capsys):
    import errno

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr("stance.inference.lock.fcntl.flock", no_locks)
    with OutputLock(tmp_path / "out"):
        pass
    assert "cannot lock files (No locks available); nothing stops a second job" in capsys.readouterr().err
    assert not lock_path(tmp_path / "out").exists()
