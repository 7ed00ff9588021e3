"""The one exception type for problems a user can fix."""

from __future__ import annotations


class StanceError(Exception):
    """A problem the user can fix: says what went wrong, where, and what to do.

    Entry points print it on one line and exit with status 2; anything else is a
    bug and keeps its traceback.
    """

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        self.what, self.where, self.fix = what, where, fix
        parts = [f"{where}: {what}" if where else what]
        if fix:
            parts.append(fix)
        super().__init__(" — ".join(parts))
