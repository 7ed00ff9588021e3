"""Sharded, resumable output.

Rows are written shard by shard (a shard = the sentences of `shard_docs` consecutive
documents) into a parts folder, each shard atomically, with a manifest updated after
each one (with the shard's size and SHA-256). `resume=true` checks the finished shards,
skips their documents and goes on, so no input document is lost or written twice; from
the first shard that is missing or does not match its manifest entry on, shards are
dropped and redone. A file output (`out.parquet`) is assembled from the parts at the end;
a folder output keeps the Parquet shards and the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from stance.errors import StanceError
from stance.inference.writers import FORMATS, RowWriter

MANIFEST = "_manifest.json"  # "_" so Parquet readers of the folder skip it


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = _tmp_path(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # left only when writing failed (a full disk)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
            try:
                self.manifest = json.loads(manifest.read_text())
                old = self.manifest["meta"]
            except (ValueError, KeyError, TypeError) as exc:
                raise StanceError(f"cannot resume: the manifest is unreadable ({exc})", where=str(manifest),
                                  fix="resume=false to start over") from None
            for key in ("input", "model", "segment"):
                if old.get(key) != meta.get(key):
                    raise StanceError(f"cannot resume: {key} was {old.get(key)!r}, now {meta.get(key)!r}",
                                      where=str(manifest), fix="resume with the same settings, or resume=false")
            self._check_shards()
        else:
            if self.parts.exists():
                shutil.rmtree(self.parts)
            self.manifest = {"meta": meta, "shards": [], "complete": False}
        self.parts.mkdir(parents=True, exist_ok=True)

    def _check_shards(self) -> None:
        """Keep the finished shards up to the first one that is missing or does not match its
        manifest entry (size, SHA-256); drop it, the ones after it and any file the manifest
        does not list (a shard written as the job died), so the job redoes them."""
        shards = self.manifest["shards"]
        keep, problem = len(shards), None
        for i, shard in enumerate(shards):
            path = self.parts / shard["file"]
            if not path.is_file():
                keep, problem = i, "missing"
            elif "bytes" in shard and path.stat().st_size != shard["bytes"]:
                keep, problem = i, f"{path.stat().st_size:,} bytes, not {shard['bytes']:,}"
            elif "sha256" in shard and _sha256(path) != shard["sha256"]:
                keep, problem = i, "its SHA-256 does not match"
            elif shard["bad_records"] and not (self.parts / f"_{shard['file']}.errors.jsonl").is_file():
                keep, problem = i, "its bad-records file is missing"
            if problem:
                break
        if problem:
            kept = shards[:keep]
            docs = sum(s["documents"] for s in kept)
            print(f"note: {self.parts / shards[keep]['file']} is damaged ({problem}): keeping the "
                  f"{keep} shard{'' if keep == 1 else 's'} before it ({docs:,} documents), redoing the rest",
                  file=sys.stderr)
            self.manifest["shards"] = kept
            self.manifest["complete"] = False
            _atomic_write_text(self.parts / MANIFEST, json.dumps(self.manifest, indent=2) + "\n")
        listed = {s["file"] for s in self.manifest["shards"]}
        listed |= {f"_{name}.errors.jsonl" for name in listed}
        for path in self.parts.iterdir():  # only our own files: parts, their errors, temporaries
            ours = path.name.lstrip("._").startswith("part-") or path.name.startswith(f".{MANIFEST}.tmp-")
            if ours and path.name not in listed and path.is_file():
                path.unlink()

    @property
    def done(self) -> dict:
        shards = self.manifest["shards"]
        return {k: sum(s[k] for s in shards) for k in ("documents", "rows", "bad_records")}

    def kept(self) -> str:
        """What an interrupted job leaves for `resume=true`, e.g. "3 finished shards (900 documents, 3,150 rows)"."""
        done = self.done
        return (f"{len(self.manifest['shards'])} finished shards ({done['documents']:,} documents, "
                f"{done['rows']:,} rows)")

    def open_shard(self) -> tuple[RowWriter, Path]:
        path = self.parts / f"part-{len(self.manifest['shards']):05d}{self.ext}"
        return RowWriter(path, self.columns), path

    def commit(self, path: Path, documents: int, rows: int, errors: list[dict]) -> None:
        if errors:
            _atomic_write_text(path.with_name(f"_{path.name}.errors.jsonl"),
                               "".join(json.dumps(e) + "\n" for e in errors))
        self.manifest["shards"].append({"file": path.name, "documents": documents, "rows": rows,
                                        "bad_records": len(errors), "bytes": path.stat().st_size,
                                        "sha256": _sha256(path)})
        _atomic_write_text(self.parts / MANIFEST, json.dumps(self.manifest, indent=2) + "\n")

    def finish(self, summary: dict) -> None:
        """Merge the errors (and, for a file output, the rows) and mark the job complete."""
        shards = self.manifest["shards"]
        error_files = [self.parts / f"_{s['file']}.errors.jsonl" for s in shards if s["bad_records"]]
        if error_files:
            _atomic(self.errors_path, lambda tmp: _concat(error_files, tmp, header=False))
        elif self.errors_path.exists():
            self.errors_path.unlink()
        if self.is_dir:
            self.manifest.update(complete=True, summary=summary)
            _atomic_write_text(self.parts / MANIFEST, json.dumps(self.manifest, indent=2) + "\n")
            return
        parts = [self.parts / s["file"] for s in shards if s["rows"]]
        if self.ext == ".parquet":
            _atomic(self.output, lambda tmp: _concat_parquet(parts, tmp, self.columns))
        else:
            _atomic(self.output, lambda tmp: _concat(parts, tmp, header=self.ext == ".csv", columns=self.columns))
        shutil.rmtree(self.parts)


def _atomic(target: Path, write) -> None:
    """`write(tmp)` beside `target`, then rename into place; no partial file is left behind."""
    tmp = _tmp_path(target)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


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
