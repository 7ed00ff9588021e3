"""Stream documents from files, globs, folders or stdin, in several formats.

Formats by extension: .jsonl/.ndjson, .csv, .tsv, .parquet, .txt (one document per
file, or one per line with txt_mode=lines), .warc (HTML responses of a crawl; article
text extracted with trafilatura, the `warc` extra); compression .gz, .bz2, .xz, .zst on top.
Nothing is read whole: JSONL and text are read line by line, CSV record by record, WARC
record by record, Parquet batch by batch, and no line, record or text file is held in
memory past `max_record_bytes` (see stance.inference.bounded). Bad records do not stop
the job: they go to `on_error(where, reason)`.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import io
import json
import lzma
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, NamedTuple, cast

from stance.errors import StanceError
from stance.inference.bounded import CsvRecords, Skipped, bounded_lines, too_long

ErrorFn = Callable[[str, str], None]
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv",
           ".parquet": "parquet", ".txt": "txt", ".warc": "warc"}


class Document(NamedTuple):
    doc_id: str
    text: str
    where: str  # file:line (or file:row), for error reports
    extra: dict  # carried columns (e.g. date, url, source)


def split_suffix(path: Path) -> tuple[str | None, str | None]:
    """(format, compression) from the file name, e.g. news.jsonl.gz -> ("jsonl", ".gz")."""
    suffixes = [s.lower() for s in path.suffixes]
    comp = suffixes.pop() if suffixes and suffixes[-1] in COMPRESSIONS else None
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    return fmt, comp


def expand_inputs(spec: str) -> list[Path | str]:
    """A file, a glob, a folder (recursive) or '-' (stdin) -> the list of inputs, sorted."""
    if spec == "-":
        return ["-"]
    path = Path(spec)
    if path.is_file():
        return [path]
    files: list[Path | str]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and split_suffix(p)[0])
    else:
        files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    if not files:
        raise StanceError("no input files found", where=spec,
                          fix="give a file, a glob ('dump/*.jsonl.gz'), a folder or '-' for stdin; "
                              f"known types: {', '.join(sorted(FORMATS))} (+ {', '.join(COMPRESSIONS)})")
    return files


def open_binary(path: Path | str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    path = Path(path)
    comp = split_suffix(path)[1]
    if comp == ".gz":  # the decompressors are binary file objects like the others
        return cast(BinaryIO, gzip.open(path, "rb"))
    if comp == ".bz2":
        return cast(BinaryIO, bz2.open(path, "rb"))
    if comp == ".xz":
        return cast(BinaryIO, lzma.open(path, "rb"))
    if comp == ".zst":
        try:
            import zstandard
        except ImportError:
            raise StanceError("reading .zst needs the zstandard package", where=str(path),
                              fix="pip install zstandard") from None
        # buffered: zstandard's reader has no readline or line iteration of its own
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")))
    return open(path, "rb")


def iter_documents(spec: str | Path, text_field: str = "text", id_field: str = "id",
                   on_error: ErrorFn | None = None, carry: tuple[str, ...] = (),
                   txt_mode: str = "file", max_chars: int = 1_000_000,
                   stdin_format: str = "jsonl", max_record_bytes: int = 16_000_000) -> Iterator[Document]:
    """Every document of every input, in order, validated; bad ones reported to `on_error`.

    A line, CSV record, WARC record or text file over `max_record_bytes` is a bad record,
    passed over without being held in memory."""
    report = on_error or _raise
    for path in expand_inputs(str(spec)):
        name = "<stdin>" if path == "-" else str(path)
        fmt = stdin_format if path == "-" else split_suffix(Path(path))[0]
        if fmt is None:
            raise StanceError("unsupported input type", where=name,
                              fix=f"use one of {', '.join(sorted(FORMATS))} (+ {', '.join(COMPRESSIONS)})")
        records = _RECORDS[fmt](path, name, report, text_field, txt_mode, max_record_bytes)
        for where, rec in records:
            text = rec.get(text_field)
            if text is None:
                report(where, f"missing field {text_field!r}")
                continue
            if not isinstance(text, str) or not text.strip():
                report(where, f"field {text_field!r} is empty or not a string")
                continue
            if len(text) > max_chars:
                report(where, f"document has {len(text):,} characters, above max_doc_chars={max_chars:,}")
                continue
            doc_id = rec.get(id_field)
            doc_id = str(doc_id) if doc_id not in (None, "") else where.rsplit("/", 1)[-1]
            yield Document(doc_id, text, where, {c: rec.get(c) for c in carry})


def _raise(where: str, reason: str):
    raise StanceError(reason, where=where)


def _jsonl(path, name, report, text_field, txt_mode, limit) -> Iterator[tuple[str, dict]]:
    with open_binary(path) as fh:
        for line_no, raw in bounded_lines(fh, limit):
            where = f"{name}:{line_no}"
            if isinstance(raw, Skipped):
                report(where, too_long(raw.size, limit, "line"))
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                report(where, f"undecodable bytes at offset {exc.start} ({exc.reason})")
                continue
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                report(where, f"malformed JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(rec, dict):
                report(where, "expected a JSON object")
                continue
            yield where, rec


def _delimited(delimiter: str):
    def read(path, name, report, text_field, txt_mode, limit) -> Iterator[tuple[str, dict]]:
        with open_binary(path) as fh:
            for line_no, rec in CsvRecords(fh, limit, delimiter):  # line_no: the record's first line
                if isinstance(rec, str):
                    report(f"{name}:{line_no}", rec)
                else:
                    yield f"{name}:{line_no}", rec
    return read


def _parquet(path, name, report, text_field, txt_mode, limit) -> Iterator[tuple[str, dict]]:
    """Batch by batch; a row group is read whole (its writer chose its size), and Parquet on
    stdin is read whole first (the format needs its footer): `limit` does not apply."""
    import pyarrow.parquet as pq

    source = open_binary(path) if path != "-" else io.BytesIO(sys.stdin.buffer.read())
    row = 0
    for batch in pq.ParquetFile(source).iter_batches(batch_size=1024):
        for rec in batch.to_pylist():
            row += 1
            yield f"{name}:row {row}", rec


def _txt(path, name, report, text_field, txt_mode, limit) -> Iterator[tuple[str, dict]]:
    with open_binary(path) as fh:
        if txt_mode == "lines":
            for line_no, raw in bounded_lines(fh, limit):
                if isinstance(raw, Skipped):
                    report(f"{name}:{line_no}", too_long(raw.size, limit, "line"))
                    continue
                try:
                    line = raw.decode("utf-8").strip()
                except UnicodeDecodeError as exc:
                    report(f"{name}:{line_no}", f"undecodable bytes ({exc.reason})")
                    continue
                if line:
                    yield f"{name}:{line_no}", {text_field: line}
            return
        data = fh.read(limit + 1)
        if len(data) > limit:
            report(name, f"file of more than {limit:,} bytes is above max_record_bytes; skipped "
                         "(txt_mode=lines reads it line by line)")
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            report(name, f"undecodable bytes at offset {exc.start} ({exc.reason})")
            return
        yield name, {text_field: text, "id": Path(name).name}


def _warc(path, name, report, text_field, txt_mode, limit) -> Iterator[tuple[str, dict]]:
    """HTML responses of a WARC file -> article text (trafilatura), with url and date.

    Records that are not HTML responses (requests, metadata, images) are not documents
    and are skipped; an HTML page with no extractable article text is a bad record."""
    try:
        import trafilatura
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        raise StanceError("reading WARC needs warcio and trafilatura", where=name,
                          fix="pip install 'stance[warc]'") from None
    import logging

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # its misses go to our errors file
    with open_binary(path) as fh:
        records = ArchiveIterator(fh)
        for rec in records:
            if rec.rec_type != "response" or rec.http_headers is None:
                continue
            ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
            if "html" not in ctype:
                continue
            url = rec.rec_headers.get_header("WARC-Target-URI")
            html = rec.content_stream().read(limit + 1)  # before get_record_offset, which skips to the record's end
            where = f"{name}:offset {records.get_record_offset()}"
            if len(html) > limit:
                report(where, f"HTML of more than {limit:,} bytes is above max_record_bytes; skipped ({url})")
                continue
            try:
                text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                                           favor_precision=True)
            except Exception as exc:  # a broken page must not stop a crawl-sized job
                report(where, f"article extraction failed ({type(exc).__name__}: {exc})")
                continue
            if not text:
                report(where, f"no article text extracted from {url}")
                continue
            yield where, {text_field: text, "id": rec.rec_headers.get_header("WARC-Record-ID") or where,
                          "url": url, "date": rec.rec_headers.get_header("WARC-Date")}


_RECORDS = {"jsonl": _jsonl, "csv": _delimited(","), "tsv": _delimited("\t"), "parquet": _parquet,
            "txt": _txt, "warc": _warc}
