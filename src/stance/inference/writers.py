"""Write prediction rows to JSONL, CSV or Parquet (chosen by extension), atomically.

Rows go to a temporary file next to the target, renamed into place only when the
job completes: an interrupted job never leaves a truncated file that looks finished.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import IO, Any

from stance.errors import StanceError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


class RowWriter:
    def __init__(self, path: str | Path, columns: list[str]):
        self.path = Path(path)
        self.format = FORMATS.get(self.path.suffix.lower())
        if self.format is None:
            raise StanceError(f"unsupported output type {self.path.suffix!r}", where=str(self.path),
                              fix=f"use one of {', '.join(sorted(FORMATS))}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self.columns = columns
        self.rows_written = 0
        self._fh: IO[str] | None = None  # opened by __enter__ (jsonl, csv)
        self._csv: csv.DictWriter[str] | None = None
        self._parquet: Any = None  # a pyarrow ParquetWriter, opened with the first rows

    def __enter__(self) -> "RowWriter":
        if self.format == "parquet":
            import pyarrow.parquet as pq

            self._pq = pq
        else:
            self._fh = fh = self.tmp.open("w", encoding="utf-8", newline="")
            if self.format == "csv":
                self._csv = csv.DictWriter(fh, fieldnames=self.columns)
                self._csv.writeheader()
        return self

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        if self.format == "jsonl":
            assert self._fh is not None, "write() outside `with RowWriter(...)`"
            self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        elif self.format == "csv":
            assert self._csv is not None, "write() outside `with RowWriter(...)`"
            self._csv.writerows(rows)
        else:
            import pyarrow as pa

            table = pa.Table.from_pylist(rows)
            if self._parquet is None:
                self._parquet = self._pq.ParquetWriter(str(self.tmp), table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        self.rows_written += len(rows)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._fh:
            self._fh.close()
        if self._parquet is None and self.format == "parquet" and exc_type is None:
            import pyarrow as pa  # no rows: still write a valid, empty file

            self._pq.write_table(pa.table({c: pa.array([], pa.string()) for c in self.columns}), str(self.tmp))
        elif self._parquet is not None:
            self._parquet.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
