"""The report stage: run(cfg) reads a predict output and writes tables, figures and one HTML page."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

from stance import tracking
from stance.errors import StanceError
import stance.report.aggregate as aggregate
import stance.report.figures as figures
import stance.report.page as page
from stance.report.inputs import open_input
from stance.report.shifts import find_shifts


def _connect(cfg, tmp: Path):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{cfg.memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = false")
    if cfg.threads:
        con.execute(f"SET threads = {int(cfg.threads)}")
    return con


def _write_tables(named: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in named.items():
        df.to_csv(folder / f"{name}.csv", index=False)
        df.to_parquet(folder / f"{name}.parquet", index=False)
        written.append(folder / f"{name}.csv")
    return written


def _notes(cfg, dates: dict, has_date: bool, computed_actors: bool) -> list[str]:
    notes = []
    if not has_date:
        notes.append(f"The input has no '{cfg.date_field}' column: no timelines or shifts "
                     "(carry the date through predict: carry=[date]).")
    skipped = dates["bad_date"] + (dates["no_date"] if has_date else 0)
    if has_date and skipped:
        notes.append(f"{skipped:,} of {dates['rows']:,} sentences have no usable date "
                     f"({dates['bad_date']:,} unparseable, {dates['no_date']:,} empty) and are left out of "
                     "the timelines and shifts; they count everywhere else.")
    if computed_actors:
        notes.append("Stance holders were computed here from the gazetteer (the input had no actor "
                     "column; `predict actors=true` adds it while predicting).")
    return notes


def _print_summary(summary: dict, actor_label: pd.DataFrame, shifts: pd.DataFrame, labels: list[str],
                   top: int = 8) -> None:
    s = summary
    print(f"Report of {s['input']}: {s['rows']:,} sentences, {s['documents'] or 0:,} documents, "
          f"{s['first_day'] or 'no dates'} .. {s['last_day'] or ''} ({s['periods']} {s['period']}s)")
    print(f"  stance holders: {s['holder_coverage']:.0%} of sentences, {s['actors']:,} actors; "
          f"{s['skipped_rows']:,} sentences without a usable date left out of timelines")
    if not actor_label.empty:
        cols = ["actor", "n"] + [f"share_{lab}" for lab in labels if f"share_{lab}" in actor_label]
        head = actor_label[cols].head(top).rename(columns=lambda c: c.replace("share_", ""))
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            print(head.to_string(index=False, formatters={c: "{:.0%}".format for c in head.columns[2:]}))
    sig = shifts[shifts["significant"]] if not shifts.empty else shifts
    if not sig.empty:
        print(f"  {len(sig)} significant shifts; largest:")
        for _, r in sig.head(5).iterrows():
            print(f"    {r['actor']} {pd.Timestamp(r['period']).date()} {r['label']}: {r['share']:.0%} "
                  f"({r['k']} of {r['n']}) against {r['share_base']:.0%} (q={r['q_value']:.2g})")
    print(f"  report: {s['html']}")


def run(cfg) -> dict:
    started = time.time()
    if cfg.period not in aggregate.PERIODS:
        raise StanceError(f"period={cfg.period!r} is not one of {', '.join(aggregate.PERIODS)}")
    out = Path(str(cfg.output)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".work"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        con = _connect(cfg, tmp)
        info = open_input(con, cfg.input)
        columns, scan, computed = list(info.columns), "src", False
        has_date = cfg.date_field in columns
        if cfg.recompute_actors or cfg.actor_field not in columns:
            from stance.actors import load_gazetteer
            from stance.report.holders import add_actors

            gazetteer = load_gazetteer(cfg.gazetteer)
            year_sql = (f"CAST(year({aggregate.date_sql(cfg.date_field, cfg.date_format)}) AS INTEGER)"
                        if has_date else "CAST(NULL AS INTEGER)")
            scan = add_actors(con, gazetteer, year_sql, tmp)
            columns = [c for c in columns if c != "actor"] + ["actor"]
            actor_field, computed, n_gazetteer = "actor", True, len(gazetteer)
        else:
            actor_field, n_gazetteer = cfg.actor_field, len(cfg.gazetteer.actors)
        aggregate.rows_view(con, scan, columns, period=cfg.period, date_field=cfg.date_field,
                            date_format=cfg.date_format, source_field=cfg.source_field, actor_field=actor_field)
        dates = aggregate.date_counts(con)
        if has_date and dates["rows"] and dates["bad_date"] / dates["rows"] > cfg.max_skipped_rate:
            raise StanceError(f"{dates['bad_date']:,} of {dates['rows']:,} dates in column '{cfg.date_field}' "
                              "do not parse", where=str(cfg.input),
                              fix="set date_format= (e.g. date_format='%d/%m/%Y') or date_field=")
        documents = con.execute("SELECT count(DISTINCT doc_id) FROM rows").fetchall()[0][0]
        counts = aggregate.count_groups(con)
        tables = aggregate.tables(counts, info.labels)
        labels = list(tables["labels"]["label"])
        actors = aggregate.top_actors(tables["by_actor"], cfg.top_actors)
        stance_labels = [lab for lab in labels if lab != cfg.neutral_label]
        shifts = find_shifts(tables["actor_period"], stance_labels, cfg.min_count, cfg.alpha)
        top_shifts = shifts[shifts["significant"]].head(cfg.max_shifts) if not shifts.empty else shifts
        examples = aggregate.examples(con, actors, cfg.examples)
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    tables_dir, figs_dir = out / "tables", out / "figures"
    _write_tables({**tables, "shifts": shifts, "examples": examples}, tables_dir)
    figs_dir.mkdir(exist_ok=True)
    neutral, ap = cfg.neutral_label, tables["actor_period"]
    timeline_actors = [a for a in actors if a in set(ap["actor"])]
    plots = {"timelines": None, "heatmap": None, "shifts_chart": None}
    if timeline_actors:
        plots["timelines"] = figures.timelines(ap, timeline_actors, labels, neutral, cfg.period)
        figures.timelines_png(ap, timeline_actors, labels, neutral, cfg.period, figs_dir / "timelines.png")
    if actors:
        plots["heatmap"] = figures.heatmap(tables["actor_label"], actors, labels, neutral)
        figures.heatmap_png(tables["actor_label"], actors, labels, neutral, figs_dir / "heatmap.png")
    if not top_shifts.empty:
        plots["shifts_chart"] = figures.shifts_chart(top_shifts, labels, neutral)
        figures.shifts_png(top_shifts, labels, neutral, figs_dir / "shifts.png")

    with_actor = dates["rows_with_actor"]
    summary = {
        "input": str(cfg.input), "output": str(out), "html": str(out / "report.html"),
        "rows": dates["rows"], "documents": int(documents) if documents is not None else None,
        "labels": dict(zip(tables["labels"]["label"], tables["labels"]["n"].astype(int).tolist())),
        "actors": int(tables["by_actor"]["actor"].nunique()) if not tables["by_actor"].empty else 0,
        "rows_with_actor": with_actor, "holder_coverage": with_actor / dates["rows"] if dates["rows"] else 0.0,
        "actors_computed": computed, "gazetteer_actors": n_gazetteer,
        "period": cfg.period, "periods": int(tables["by_period"]["period"].nunique()),
        "first_day": dates["first_day"], "last_day": dates["last_day"],
        "skipped_rows": (dates["bad_date"] + dates["no_date"]) if has_date else dates["rows"],
        "unparseable_dates": dates["bad_date"],
        "shift_tests": int(len(shifts)), "significant_shifts": int(shifts["significant"].sum()) if len(shifts) else 0,
        "top_actors": actors,
    }
    html = page.render(title=cfg.title, summary=summary, period=cfg.period, neutral=neutral,
                       colors=figures.label_colors(labels, neutral), overall=tables["labels"], figures=plots,
                       shifts=top_shifts, examples=examples, actors=actors, labels=labels,
                       notes=_notes(cfg, dates, has_date, computed), alpha=cfg.alpha, min_count=cfg.min_count)
    (out / "report.html").write_text(html, encoding="utf-8")
    summary["seconds"] = round(time.time() - started, 2)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")

    name = cfg.run_name or Path(str(cfg.input).rstrip("/")).name
    with tracking.start_run(cfg.tracking, "report", name, tags={"stage": "report"}) as run:
        run.log_params({"input": str(cfg.input), "period": cfg.period, "top_actors": cfg.top_actors,
                        "min_count": cfg.min_count, "alpha": cfg.alpha, "date_field": cfg.date_field,
                        "source_field": cfg.source_field, "actors_computed": computed,
                        "gazetteer_actors": n_gazetteer,
                        "gazetteer_extra_files": ",".join(cfg.gazetteer.extra_files) or "-"})
        run.log_metrics({k: summary[k] for k in ("rows", "documents", "actors", "holder_coverage", "periods",
                                                  "skipped_rows", "shift_tests", "significant_shifts", "seconds")
                         if summary[k] is not None})
        run.log_artifact(out / "report.html")
        run.log_artifact(out / "summary.json")
        run.log_artifact(figs_dir, "figures")
        run.log_artifact(tables_dir, "tables")
        summary["mlflow_run_id"] = run.run_id
    _print_summary(summary, tables["actor_label"], shifts, labels)
    if summary.get("mlflow_run_id"):
        print(f"  MLflow run {summary['mlflow_run_id']} (experiment report)")
    sys.stdout.flush()
    return summary
