"""Open a predict output in DuckDB as the view `src`, and check that it is one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stance.errors import StanceError

REQUIRED = ("text", "label")


@dataclass
class InputInfo:
    path: str
    columns: list[str]
    rows: int
    labels: list[str]  # from the p_<label> columns (their order), else the label values by frequency


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def scan_sql(path: str | Path) -> str:
    """The DuckDB table function that reads a predict output (file or folder of shards)."""
    p = Path(path)
    if p.is_dir():
        shards = sorted(p.rglob("*.parquet"))
        if not shards:
            raise StanceError("no Parquet files in this folder", where=str(p),
                              fix="point input= at a predict output (a file, or a folder of part-*.parquet)")
        return f"read_parquet({literal(str(p / '**' / '*.parquet'))}, union_by_name = true)"
    if not p.is_file():
        raise StanceError("input not found", where=str(p), fix="check input=")
    name = p.name.lower()
    for ext in (".gz", ".zst", ".bz2", ".xz"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith(".parquet"):
        return f"read_parquet({literal(str(p))})"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return f"read_json({literal(str(p))}, format = 'newline_delimited', sample_size = -1)"
    if name.endswith((".csv", ".tsv")):
        return f"read_csv({literal(str(p))}, header = true, sample_size = -1)"
    raise StanceError(f"unknown input format {p.suffix!r}", where=str(p),
                      fix="use predict's .parquet, .jsonl or .csv output, or its output folder")


def open_input(con, path: str | Path) -> InputInfo:
    """Create the view `src` over the input and check it: a StanceError (one line) when the
    input is unreadable, empty or not a predict output."""
    import duckdb

    try:
        con.execute(f"CREATE OR REPLACE VIEW src AS SELECT * FROM {scan_sql(path)}")
        columns = [r[0] for r in con.execute("DESCRIBE src").fetchall()]
        rows = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise StanceError(f"cannot read the input ({first})", where=str(path),
                          fix="point input= at the output of scripts/predict.py") from None
    if rows == 0:
        raise StanceError("the input has no rows", where=str(path), fix="check the predict run that wrote it")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise StanceError(f"not a predict output: no {' or '.join(repr(c) for c in missing)} column "
                          f"(columns: {', '.join(columns[:12])}{', ...' if len(columns) > 12 else ''})",
                          where=str(path), fix="run scripts/predict.py on your documents first")
    labels = [c[2:] for c in columns if c.startswith("p_")]
    if not labels:
        labels = [r[0] for r in con.execute(
            "SELECT label FROM src WHERE label IS NOT NULL GROUP BY label ORDER BY count(*) DESC").fetchall()]
    return InputInfo(str(path), columns, rows, labels)
