"""Read records with a byte limit: a record over the limit is never held whole in memory.

A corrupt dump or a binary file with a .jsonl name can hold a "line" of gigabytes; reading
it whole would exhaust memory before any per-document check runs. Here a line (or a CSV
record, which may span lines inside quotes) longer than `limit` bytes is passed over in
1 MB chunks and reported by its size, and reading goes on at the next line or record.
"""

from __future__ import annotations

import csv
from typing import BinaryIO, Iterator, NamedTuple

CHUNK = 1 << 20  # bytes read at a time while passing over an over-long record


class Skipped(NamedTuple):
    """An over-long line, passed over: its size in bytes (with its line end)."""
    size: int


def too_long(size: int, limit: int, unit: str = "record") -> str:
    return f"{unit} of {size:,} bytes is above max_record_bytes={limit:,}; skipped"


def bounded_lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | Skipped]]:
    """(line number, the line's bytes) for each line of a binary stream; a line of more than
    `limit` bytes (line end excluded) is read past in chunks and given as Skipped(size)."""
    line_no = 0
    while raw := fh.readline(limit + 1):
        line_no += 1
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield line_no, raw
            continue
        size = len(raw)
        del raw
        while chunk := fh.readline(CHUNK):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        yield line_no, Skipped(size)


class _TooLong(Exception):
    """The CSV record being read passed the limit."""


class _Undecodable(Exception):
    """A line of the CSV record being read is not UTF-8."""


class CsvRecords:
    """CSV rows ({header: value}) of a binary stream, each record at most `limit` bytes.

    Iterating gives (first line of the record, row) or (first line, reason) for a bad record
    (over the limit, undecodable, malformed); a bad record is read past to its end, found as
    `csv` itself would parse it, so the next row is a real row, not the tail of a quoted field.
    """

    def __init__(self, fh: BinaryIO, limit: int, delimiter: str = ","):
        self.fh, self.limit, self.delimiter = fh, limit, delimiter
        self.line_no = 0
        self._start_record()
        # a field may be as long as a record (csv's default field limit is 128 KB)
        csv.field_size_limit(max(csv.field_size_limit(), limit))

    def _start_record(self) -> None:
        self.record: list[bytes] = []  # the raw lines read of the record being parsed
        self.size = 0
        self.record_line = self.line_no + 1

    def __iter__(self) -> Iterator[tuple[int, dict | str]]:
        reader = csv.reader(_Feed(self._next_line), delimiter=self.delimiter)
        header: list[str] | None = None
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (_TooLong, _Undecodable, csv.Error) as exc:
                line = self.record_line
                size = self._skip_record()
                reason = (too_long(size, self.limit) if isinstance(exc, _TooLong)
                          else f"malformed CSV ({exc})" if isinstance(exc, csv.Error) else str(exc))
                if header is None:
                    yield line, f"unreadable header: {reason}; the rest of this file was skipped"
                    return
                yield line, reason
                continue
            line = self.record_line
            self._start_record()
            if not row:
                continue
            if header is None:
                header = row
                continue
            rec: dict[str, str | None] = dict(zip(header, row))
            rec.update({k: None for k in header[len(row):]})
            yield line, rec

    def _next_line(self) -> str:
        """The stream's next line for `csv.reader` (through _Feed), raising inside it when the
        current record passes the limit or a line does not decode; csv starts afresh on its
        next call, and so does this (a generator would be finished by the exception)."""
        raw = self.fh.readline(self.limit + 1)
        if not raw:
            raise StopIteration
        self.line_no += 1
        self.record.append(raw)
        self.size += len(raw)
        if self.size > self.limit + 1 or (len(raw) > self.limit and not raw.endswith(b"\n")):
            raise _TooLong()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Undecodable(f"undecodable bytes at line {self.line_no} ({exc.reason})") from None

    def _skip_record(self) -> int:
        """Read on to the end of the bad record, holding one chunk at a time; returns its size
        in bytes. The end is where `csv` (default dialect, not strict) would find it: the end
        of a line that is not inside a quoted field."""
        scan = _QuoteScanner(self.delimiter.encode())
        size = self.size
        ended = False
        for part in self.record:  # what was read of the record so far, from its first line
            ended = scan.feed(part)
        at_line_start = self.record[-1].endswith(b"\n")
        while not ended and (chunk := self.fh.readline(CHUNK)):
            if at_line_start:
                self.line_no += 1
            at_line_start = chunk.endswith(b"\n")
            size += len(chunk)
            ended = scan.feed(chunk)
        self._start_record()
        return size


class _QuoteScanner:
    """csv's record states, reduced to what decides where a record ends: fed the bytes of a
    record in pieces, says when a line ends outside a quoted field."""

    START_FIELD, IN_FIELD, IN_QUOTED, QUOTE_IN_QUOTED = range(4)

    def __init__(self, delimiter: bytes):
        self.delimiter = delimiter
        self.state = self.START_FIELD

    def feed(self, part: bytes) -> bool:
        """Advance over `part` (a line or a piece of one); True when it ends the record."""
        i, n = 0, len(part)
        while i < n:
            if self.state == self.IN_QUOTED:
                j = part.find(b'"', i)
                if j < 0:
                    break
                self.state, i = self.QUOTE_IN_QUOTED, j + 1
            elif self.state == self.IN_FIELD:  # only a delimiter starts a new field
                j = part.find(self.delimiter, i)
                if j < 0:
                    break
                self.state, i = self.START_FIELD, j + 1
            else:  # START_FIELD or QUOTE_IN_QUOTED: decided by one character
                c = part[i:i + 1]
                if c == b'"':
                    self.state = self.IN_QUOTED
                else:
                    self.state = self.START_FIELD if c == self.delimiter else self.IN_FIELD
                i += 1
        return part.endswith(b"\n") and self.state != self.IN_QUOTED


class _Feed:
    """An iterator that calls `next_line` each time, and can go on after it raised."""

    def __init__(self, next_line):
        self.next_line = next_line

    def __iter__(self):
        return self

    def __next__(self) -> str:
        return self.next_line()
