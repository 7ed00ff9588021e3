"""Bounded reading: lines and CSV records past a byte limit are read past, not held."""

import csv
import io
import random

from stance.inference.bounded import CsvRecords, Skipped, _QuoteScanner, bounded_lines


def _random_csv(rng: random.Random, n_lines: int) -> str:
    """Lines made of quotes, commas, letters and spaces: quoted fields, escaped quotes, stray
    quotes in unquoted fields, fields across lines."""
    return "".join("".join(rng.choice('"",,ab ') for _ in range(rng.randint(0, 8))) + "\n"
                   for _ in range(n_lines))


def test_quote_scanner_ends_records_where_csv_does():
    rng = random.Random(7)
    for _ in range(300):
        lines = _random_csv(rng, 12).splitlines(keepends=True)
        reader = csv.reader(lines)
        ends = []
        for _row in reader:
            ends.append(reader.line_num)
        start, got = 0, []
        while start < len(lines):
            scan, end = _QuoteScanner(b","), start
            while end < len(lines) and not scan.feed(lines[end].encode()):
                end += 1
            got.append(min(end + 1, len(lines)))
            start = end + 1
        assert got == ends, "".join(lines)


def test_csv_records_equal_csv_dictreader_within_the_limit():
    rng = random.Random(11)
    for _ in range(100):
        text = "id,text\n" + _random_csv(rng, 10)
        expected = [r for r in csv.DictReader(io.StringIO(text, newline=""))]
        got = [rec for _, rec in CsvRecords(io.BytesIO(text.encode()), 10_000)]
        assert [{k: v for k, v in r.items() if k is not None} for r in expected] == got, text


def test_csv_records_report_bad_records_and_go_on():
    data = (b'id,text\n1,hello\n2,"multi\nline ""q"" , x"\n3,' + b"y" * 100 + b'\n4,"big ' + b"z\n" * 60
            + b'end"\n5,after\n6,bad \xff\n7,ok\n')
    got = list(CsvRecords(io.BytesIO(data), 50))
    assert got == [(2, {"id": "1", "text": "hello"}), (3, {"id": "2", "text": 'multi\nline "q" , x'}),
                   (5, "record of 103 bytes is above max_record_bytes=50; skipped"),
                   (6, "record of 132 bytes is above max_record_bytes=50; skipped"),
                   (67, {"id": "5", "text": "after"}),
                   (68, "undecodable bytes at line 68 (invalid start byte)"),
                   (69, {"id": "7", "text": "ok"})]


def test_bounded_lines_skips_only_the_long_line():
    fh = io.BytesIO(b"a\n" + b"b" * 100 + b"\n" + b"c" * 10 + b"\nd")
    assert list(bounded_lines(fh, 10)) == [(1, b"a\n"), (2, Skipped(101)), (3, b"c" * 10 + b"\n"), (4, b"d")]
