"""The one exception type for problems a user can fix."""

from __future__ import annotations


class StanceError(Exception):
    """A problem the user can fix: says what went wrong, where, and what to do.

    Entry points print it on one line and exit with `exit_code` (2; a job stopped by a
    signal uses 128 + the signal's number, as a shell would); anything else is a bug and
    keeps its traceback.
    """

    def __init__(self, what: str, where: str | None = None, fix: str | None = None, exit_code: int = 2):
        self.what, self.where, self.fix, self.exit_code = what, where, fix, exit_code
        parts = [f"{where}: {what}" if where else what]
        if fix:
            parts.append(fix)
        super().__init__(" — ".join(parts))
