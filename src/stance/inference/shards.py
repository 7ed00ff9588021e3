"""Sharded, resumable output.

Rows are written shard by shard (a shard = the sentences of `shard_docs` consecutive
documents) into a parts folder, each shard atomically, with a manifest updated after
each one. `resume=true` skips the documents of completed shards and goes on, so no
input document is lost or written twice. A file output (`out.parquet`) is assembled
from the parts at the end; a folder output keeps the Parquet shards and the manifest.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from stance.errors import StanceError
from stance.inference.writers import FORMATS, RowWriter

MANIFEST = "_manifest.json"  # "_" so Parquet readers of the folder skip it


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ShardedOutput:
    def __init__(self, output: str | Path, columns: list[str], meta: dict, resume: bool = False):
        self.output = Path(output)
        self.is_dir = self.output.suffix == "" or self.output.is_dir()
        if not self.is_dir and self.output.suffix.lower() not in FORMATS:
            raise StanceError(f"unsupported output type {self.output.suffix!r}", where=str(self.output),
                              fix=f"use one of {', '.join(sorted(FORMATS))}, or a folder for Parquet shards")
        self.parts = self.output if self.is_dir else self.output.with_name(self.output.name + ".parts")
        self.ext = ".parquet" if self.is_dir else self.output.suffix.lower()
        self.columns = columns
        self.errors_path = self.output.with_name(self.output.name + ".errors.jsonl")
        manifest = self.parts / MANIFEST
        if resume and manifest.is_file():
            self.manifest = json.loads(manifest.read_text())
            old = self.manifest["meta"]
            for key in ("input", "model", "segment"):
                if old.get(key) != meta.get(key):
                    raise StanceError(f"cannot resume: {key} was {old.get(key)!r}, now {meta.get(key)!r}",
                                      where=str(manifest), fix="resume with the same settings, or resume=false")
        else:
            if self.parts.exists():
                shutil.rmtree(self.parts)
            self.manifest = {"meta": meta, "shards": [], "complete": False}
        self.parts.mkdir(parents=True, exist_ok=True)

    @property
    def done(self) -> dict:
        shards = self.manifest["shards"]
        return {k: sum(s[k] for s in shards) for k in ("documents", "rows", "bad_records")}

    def open_shard(self) -> tuple[RowWriter, Path]:
        path = self.parts / f"part-{len(self.manifest['shards']):05d}{self.ext}"
        return RowWriter(path, self.columns), path

    def commit(self, path: Path, documents: int, rows: int, errors: list[dict]) -> None:
        if errors:
            _atomic_write_text(path.with_name(f"_{path.name}.errors.jsonl"),
                               "".join(json.dumps(e) + "\n" for e in errors))
        self.manifest["shards"].append({"file": path.name, "documents": documents, "rows": rows,
                                        "bad_records": len(errors)})
        _atomic_write_text(self.parts / MANIFEST, json.dumps(self.manifest, indent=2) + "\n")

    def finish(self, summary: dict) -> None:
        """Merge the errors (and, for a file output, the rows) and mark the job complete."""
        shards = self.manifest["shards"]
        error_files = [self.parts / f"_{s['file']}.errors.jsonl" for s in shards if s["bad_records"]]
        if error_files:
            _concat(error_files, self.errors_path, header=False)
        elif self.errors_path.exists():
            self.errors_path.unlink()
        if self.is_dir:
            self.manifest.update(complete=True, summary=summary)
            _atomic_write_text(self.parts / MANIFEST, json.dumps(self.manifest, indent=2) + "\n")
            return
        parts = [self.parts / s["file"] for s in shards if s["rows"]]
        tmp = self.output.with_name(f".{self.output.name}.tmp-{os.getpid()}")
        if self.ext == ".parquet":
            _concat_parquet(parts, tmp, self.columns)
        else:
            _concat(parts, tmp, header=self.ext == ".csv", columns=self.columns)
        os.replace(tmp, self.output)
        shutil.rmtree(self.parts)


def _concat(files: list[Path], target: Path, header: bool, columns: list[str] | None = None) -> None:
    with target.open("wb") as out:
        if header and not files:
            out.write((",".join(columns or []) + "\n").encode())
        for i, f in enumerate(files):
            with f.open("rb") as fh:
                if header and i > 0:
                    fh.readline()  # each CSV part has its own header
                shutil.copyfileobj(fh, out)


def _concat_parquet(files: list[Path], target: Path, columns: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), str(target))
        return
    writer = None
    for f in files:
        for batch in pq.ParquetFile(str(f)).iter_batches(batch_size=8192):
            table = pa.Table.from_batches([batch])
            if writer is None:
                writer = pq.ParquetWriter(str(target), table.schema)
            writer.write_table(table.cast(writer.schema))
    if writer is None:  # parts with no batches (finish() passes only parts with rows)
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), str(target))
    else:
        writer.close()
