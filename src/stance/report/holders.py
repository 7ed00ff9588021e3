"""The actor column: kept when the input has one (`predict actors=true`), else computed.

Computing it streams the input through DuckDB with the holder rule as a vectorised Python
function and writes a temporary Parquet file beside the report, so memory stays flat."""

from __future__ import annotations

from pathlib import Path

from stance.actors import Gazetteer, holder
from stance.report.inputs import literal, quote


def holder_function(gazetteer: Gazetteer):
    """An Arrow UDF: (texts, years) -> holders."""
    import pyarrow as pa

    def fn(texts, years):
        ys = years.to_pylist()
        return pa.array([holder(t, gazetteer, y) if t else None for t, y in zip(texts.to_pylist(), ys)],
                        pa.string())

    return fn


def add_actors(con, gazetteer: Gazetteer, year_sql: str, workdir: Path) -> str:
    """Write `src` with an `actor` column to workdir/with_actors.parquet; return its scan SQL."""
    con.create_function("stance_holder", holder_function(gazetteer), ["VARCHAR", "INTEGER"], "VARCHAR",
                        type="arrow", null_handling="special")
    cols = [r[0] for r in con.execute("DESCRIBE src").fetchall() if r[0] != "actor"]
    keep = ", ".join(quote(c) for c in cols)
    path = workdir / "with_actors.parquet"
    con.execute(f"COPY (SELECT {keep}, stance_holder(CAST(text AS VARCHAR), {year_sql}) AS actor FROM src) "
                f"TO {literal(str(path))} (FORMAT parquet)")
    return f"read_parquet({literal(str(path))})"
