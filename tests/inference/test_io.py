import json

import pandas as pd
import pytest

from stance.errors import StanceError
from stance.inference.readers import iter_documents
from stance.inference.writers import RowWriter

ROWS = [{"id": "a", "text": "x, \"quoted\"", "score": 0.5}, {"id": "b", "text": "y", "score": 0.25}]


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".parquet"])
def test_writers_round_trip(tmp_path, ext):
    out = tmp_path / f"rows{ext}"
    with RowWriter(out, ["id", "text", "score"]) as w:
        w.write(ROWS[:1])
        w.write(ROWS[1:])
    frame = {".jsonl": lambda p: pd.read_json(p, lines=True), ".csv": pd.read_csv,
             ".parquet": pd.read_parquet}[ext](out)
    assert frame.to_dict("records") == ROWS
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_interrupted_write_leaves_no_output(tmp_path):
    out = tmp_path / "rows.jsonl"
    with pytest.raises(RuntimeError):
        with RowWriter(out, ["id"]) as w:
            w.write(ROWS)
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_unknown_output_type(tmp_path):
    with pytest.raises(StanceError, match="unsupported output type"):
        RowWriter(tmp_path / "rows.xlsx", ["id"])


def test_reader_reports_bad_records_and_goes_on(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": 1, "text": "Good."}\n{bad\n{"id": 3}\n{"text": "No id."}\n')
    errors = []
    docs = list(iter_documents(f, on_error=lambda where, reason: errors.append((where, reason))))
    assert [(d.doc_id, d.text) for d in docs] == [("1", "Good."), (f"{f}:4".rsplit("/", 1)[-1], "No id.")]
    assert [w for w, _ in errors] == [f"{f}:2", f"{f}:3"]
    assert "malformed JSON" in errors[0][1] and "missing field 'text'" in errors[1][1]


def test_reader_custom_fields_csv(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("doc,body\nd1,Hello there.\n")
    docs = list(iter_documents(f, text_field="body", id_field="doc"))
    assert docs[0].doc_id == "d1" and docs[0].text == "Hello there."


def _zstd_open(path, mode, encoding):
    zstandard = pytest.importorskip("zstandard")
    return zstandard.open(path, mode, encoding=encoding)


@pytest.mark.parametrize("suffix, opener", [
    ("", open), (".gz", __import__("gzip").open), (".bz2", __import__("bz2").open), (".xz", __import__("lzma").open),
    (".zst", _zstd_open)])
def test_reader_decompresses_by_extension(tmp_path, suffix, opener):
    f = tmp_path / f"in.jsonl{suffix}"
    with opener(f, "wt", encoding="utf-8") as fh:
        fh.write('{"id": "a", "text": "One.", "url": "u1"}\n{"id": "b", "text": "Two."}\n')
    docs = list(iter_documents(f, carry=("url",)))
    assert [(d.doc_id, d.text, d.extra) for d in docs] == [("a", "One.", {"url": "u1"}),
                                                           ("b", "Two.", {"url": None})]


def test_reader_folders_globs_txt_and_parquet(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "story.txt").write_text("A whole story. In two sentences.")
    pd.DataFrame({"id": ["p1"], "text": ["From parquet."]}).to_parquet(tmp_path / "p.parquet")
    (tmp_path / "notes.md").write_text("ignored: unknown type")
    docs = list(iter_documents(tmp_path))
    assert [(d.doc_id, d.text) for d in docs] == [("p1", "From parquet."),
                                                  ("story.txt", "A whole story. In two sentences.")]
    assert [d.doc_id for d in iter_documents(str(tmp_path / "**" / "*.txt"))] == ["story.txt"]
    lines = list(iter_documents(tmp_path / "sub" / "story.txt", txt_mode="lines"))
    assert len(lines) == 1


def test_reader_bad_bytes_and_huge_documents(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_bytes(b'{"text": "ok"}\n{"text": "bad \xff\xfe"}\n' + json.dumps({"text": "x" * 2000}).encode() + b"\n")
    errors = []
    docs = list(iter_documents(f, on_error=lambda w, r: errors.append((w, r)), max_chars=1000))
    assert [d.text for d in docs] == ["ok"]
    assert "undecodable" in errors[0][1] and errors[0][0].endswith(":2")
    assert "max_doc_chars" in errors[1][1] and errors[1][0].endswith(":3")


def test_no_inputs_found(tmp_path):
    with pytest.raises(StanceError, match="no input files found"):
        list(iter_documents(str(tmp_path / "*.jsonl")))


def _write_warc(path, pages):
    """A gzipped WARC of HTTP responses: (url, content type, body bytes)."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, ctype, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body),
                                                          http_headers=headers))


ARTICLE = ("<html><head><title>Talks</title></head><body><nav>Home | World | Sport</nav><article>"
           "<h1>Ministers meet in Geneva</h1>"
           "<p>The foreign ministry said on Tuesday that it would not accept any inspection of the site, "
           "calling the request a breach of sovereignty and a matter beyond discussion.</p>"
           "<p>Diplomats in Geneva said a second round of talks was planned for March, although no date "
           "had been set and both delegations declined to comment on the agenda.</p>"
           "</article><footer>Copyright 2026 Example News. All rights reserved.</footer></body></html>")


def test_reader_warc_extracts_article_text(tmp_path):
    pytest.importorskip("warcio"), pytest.importorskip("trafilatura")
    f = tmp_path / "crawl.warc.gz"
    _write_warc(f, [("https://news.example/a", "text/html; charset=utf-8", ARTICLE.encode()),
                    ("https://news.example/logo.png", "image/png", b"\x89PNG\r\n"),
                    ("https://news.example/empty", "text/html", b"<html><body></body></html>")])
    errors = []
    docs = list(iter_documents(f, carry=("url", "date"), on_error=lambda w, r: errors.append((w, r))))
    assert len(docs) == 1  # the image is not a document; the empty page is a bad record
    doc = docs[0]
    assert "would not accept any inspection" in doc.text and "second round of talks" in doc.text
    assert "All rights reserved" not in doc.text and "Home | World" not in doc.text  # boilerplate dropped
    assert doc.extra["url"] == "https://news.example/a" and doc.extra["date"].startswith("20")
    assert doc.doc_id.startswith("<urn:uuid:")
    assert len(errors) == 1 and "news.example/empty" in errors[0][1] and ":offset " in errors[0][0]


def _peak_bytes(fn) -> int:
    """Peak Python memory (tracemalloc) while `fn` runs."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_jsonl_line_far_above_max_record_bytes_is_skipped_in_bounded_memory(tmp_path, suffix):
    """A 64 MB line (a corrupt dump) with a 1 MB limit: reported by size, never held whole."""
    import gzip

    f = tmp_path / f"dump.jsonl{suffix}"
    opener = gzip.open if suffix else open
    with opener(f, "wb") as fh:
        fh.write(b'{"id": "a", "text": "Before."}\n{"id": "big", "text": "')
        for _ in range(64):
            fh.write(b"x" * (1 << 20))
        fh.write(b'"}\n{"id": "b", "text": "After."}\n')
    errors, docs = [], []
    peak = _peak_bytes(lambda: docs.extend(iter_documents(
        f, on_error=lambda w, r: errors.append((w, r)), max_record_bytes=1_000_000)))
    assert [d.text for d in docs] == ["Before.", "After."]
    assert errors == [(f"{f}:2", f"line of {64 * (1 << 20) + 26:,} bytes is above "
                                 "max_record_bytes=1,000,000; skipped")]
    assert peak < 4_000_000, f"peak {peak:,} bytes for a 1 MB limit"


def test_csv_record_far_above_max_record_bytes_is_skipped_to_its_end(tmp_path):
    """An 8 MB quoted field over many lines, with lines inside it that look like rows: the
    reader goes on at the record after it, holding little more than the limit."""
    f = tmp_path / "in.csv"
    inner = ('He said ""no"", twice.\n9,a fake row inside the field\n' * 140_000).encode()
    f.write_bytes(b'id,text\n1,Before.\n2,"' + inner + b'"\n3,After.\n')
    errors, docs = [], []
    peak = _peak_bytes(lambda: docs.extend(iter_documents(
        f, on_error=lambda w, r: errors.append((w, r)), max_record_bytes=256_000)))
    assert [(d.doc_id, d.text) for d in docs] == [("1", "Before."), ("3", "After.")]
    assert len(errors) == 1 and errors[0][0] == f"{f}:3"
    assert f"record of {len(inner) + 5:,} bytes is above max_record_bytes=256,000" in errors[0][1]
    assert peak < 2_000_000, f"peak {peak:,} bytes for a 256 KB limit"


def test_txt_and_warc_records_above_max_record_bytes(tmp_path):
    pytest.importorskip("warcio"), pytest.importorskip("trafilatura")
    (tmp_path / "big.txt").write_text("A sentence. " * 10_000)
    (tmp_path / "small.txt").write_text("A short story.")
    (tmp_path / "lines.txt").write_text("One line.\n" + "y" * 50_000 + "\nLast line.\n")
    _write_warc(tmp_path / "crawl.warc.gz",
                [("https://news.example/big", "text/html", ("<p>" + "word " * 20_000 + "</p>").encode()),
                 ("https://news.example/a", "text/html", ARTICLE.encode())])
    errors = []
    docs = list(iter_documents(tmp_path, on_error=lambda w, r: errors.append((w, r)), max_record_bytes=40_000))
    assert [d.doc_id for d in docs if d.doc_id.endswith(".txt")] == ["small.txt"]  # txt_mode=file
    assert sum("would not accept any inspection" in d.text for d in docs) == 1
    reasons = dict(errors)
    assert "above max_record_bytes" in reasons[str(tmp_path / "big.txt")]
    assert "above max_record_bytes" in reasons[str(tmp_path / "lines.txt")]
    assert any("news.example/big" in r and "above max_record_bytes" in r for r in reasons.values())
    lines = list(iter_documents(tmp_path / "lines.txt", txt_mode="lines", max_record_bytes=40_000,
                                on_error=lambda w, r: errors.append((w, r))))
    assert [d.text for d in lines] == ["One line.", "Last line."]
    assert errors[-1][0] == f"{tmp_path / 'lines.txt'}:2" and "line of 50,001 bytes" in errors[-1][1]
