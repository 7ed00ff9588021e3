"""Aggregation: DuckDB counts over the (possibly huge) rows; pandas shapes the small results.

`rows_view` defines the view `rows` (actor, label, score, text, doc_id, source, day, period);
`count_groups` counts it in one scan with GROUPING SETS; the other functions are pure
transformations of those counts into the tables the report writes."""

from __future__ import annotations

import pandas as pd

from stance.report.inputs import literal, quote

PERIODS = ("day", "week", "month")


def date_sql(column: str, fmt: str | None) -> str:
    """A DATE expression for a date column of any type (ISO 8601 text, DATE, TIMESTAMP)."""
    c = quote(column)
    if fmt:
        return f"CAST(TRY_STRPTIME(CAST({c} AS VARCHAR), {literal(fmt)}) AS DATE)"
    return (f"coalesce(TRY_CAST({c} AS DATE), "
            f"CAST(TRY_CAST(CAST({c} AS VARCHAR) AS TIMESTAMPTZ) AS DATE))")


def rows_view(con, scan: str, columns: list[str], *, period: str, date_field: str, date_format: str | None,
              source_field: str, actor_field: str) -> None:
    """CREATE VIEW rows over `scan` with the columns the report needs (missing ones NULL)."""
    has = set(columns)

    def col(name: str | None, cast: str = "VARCHAR") -> str:
        return f"CAST({quote(name)} AS {cast})" if name and name in has else f"CAST(NULL AS {cast})"

    day = date_sql(date_field, date_format) if date_field in has else "CAST(NULL AS DATE)"
    raw = f"{quote(date_field)} IS NOT NULL" if date_field in has else "false"
    doc = "doc_id" if "doc_id" in has else ("id" if "id" in has else None)
    con.execute(f"""
        CREATE OR REPLACE VIEW rows AS
        SELECT actor, label, score, text, doc_id, source, day,
               CAST(date_trunc({literal(period)}, day) AS DATE) AS period,
               (has_date AND day IS NULL) AS bad_date, NOT has_date AS no_date
        FROM (SELECT {col(actor_field)} AS actor, CAST(label AS VARCHAR) AS label,
                     {col('score', 'DOUBLE')} AS score, CAST(text AS VARCHAR) AS text,
                     {col(doc)} AS doc_id, {col(source_field)} AS source,
                     {day} AS day, {raw} AS has_date
              FROM {scan})
        WHERE label IS NOT NULL""")


def count_groups(con) -> pd.DataFrame:
    """Sentence counts per (label), (actor, label), (period, label), (source, label) and
    (actor, period, label), in one scan; `grouping` names the set of each row."""
    df = con.execute("""
        SELECT actor, period, source, label,
               CASE GROUPING(actor, period, source)
                    WHEN 7 THEN 'label' WHEN 3 THEN 'actor' WHEN 5 THEN 'period'
                    WHEN 6 THEN 'source' ELSE 'actor_period' END AS grouping,
               count(*) AS n
        FROM rows
        GROUP BY GROUPING SETS ((label), (actor, label), (period, label), (source, label),
                                (actor, period, label))""").df()
    df["n"] = df["n"].astype("int64")
    return df


def date_counts(con) -> dict:
    """Rows, rows with an unparseable date, rows with no date, first and last day."""
    r = con.execute("SELECT count(*), count(*) FILTER (bad_date), count(*) FILTER (no_date), "
                    "min(day), max(day), count(*) FILTER (actor IS NOT NULL) FROM rows").fetchall()[0]
    return {"rows": int(r[0]), "bad_date": int(r[1]), "no_date": int(r[2]),
            "first_day": r[3].isoformat() if r[3] else None, "last_day": r[4].isoformat() if r[4] else None,
            "rows_with_actor": int(r[5])}


def examples(con, actors: list[str], k: int) -> pd.DataFrame:
    """The k highest-scoring sentences per (actor, label) for the given actors."""
    if not actors or k <= 0:
        return pd.DataFrame(columns=["actor", "label", "rank", "score", "text", "doc_id", "day", "source"])
    names = ", ".join(literal(a) for a in actors)
    df = con.execute(f"""
        SELECT actor, label,
               max_by(struct_pack(score := coalesce(score, 0), text := text, doc_id := doc_id,
                                  day := day, source := source), coalesce(score, 0), {int(k)}) AS ex
        FROM rows WHERE actor IN ({names}) GROUP BY actor, label""").df()
    out = [{"actor": r.actor, "label": r.label, "rank": i + 1, **e}
           for r in df.itertuples(index=False) for i, e in enumerate(r.ex)]
    return pd.DataFrame(out, columns=["actor", "label", "rank", "score", "text", "doc_id", "day", "source"])


def with_shares(df: pd.DataFrame, by: list[str], labels: list[str]) -> pd.DataFrame:
    """Long counts (by..., label, n) with every label present per group, the group's total and
    the label's share of it; groups sorted by total (largest first), labels in `labels` order."""
    if df.empty:
        return pd.DataFrame(columns=[*by, "label", "n", "total", "share"])
    keys = df[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    full = keys.merge(pd.DataFrame({"label": labels}), how="cross")
    out = full.merge(df[[*by, "label", "n"]], on=[*by, "label"], how="left").fillna({"n": 0})
    out["n"] = out["n"].astype("int64")
    out["total"] = out.groupby(by, dropna=False)["n"].transform("sum") if by else out["n"].sum()
    out["share"] = out["n"] / out["total"].where(out["total"] > 0)
    order = {lab: i for i, lab in enumerate(labels)}
    out["_l"] = out["label"].map(order).fillna(len(order))
    asc: bool | list[bool]
    if "period" in by or not by:  # in time order (or just the labels)
        sort_by, asc = [*by, "_l"], True
    else:  # largest groups first
        sort_by, asc = ["total", *by, "_l"], [False, *[True] * (len(by) + 1)]
    return out.sort_values(sort_by, ascending=asc, na_position="last").drop(columns="_l").reset_index(drop=True)


def tables(counts: pd.DataFrame, labels: list[str]) -> dict[str, pd.DataFrame]:
    """The report's tables from `count_groups` output (all labels seen are kept, known ones first)."""
    seen = [lab for lab in counts["label"].dropna().unique() if lab not in labels]
    labels = [*labels, *sorted(seen)]

    def part(name: str, by: list[str], drop_null: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
        df = counts[counts["grouping"] == name][[*by, "label", "n"]]
        for c in drop_null:
            df = df[df[c].notna()]
        return with_shares(df, by, labels)

    overall = part("label", [])
    out = {
        "labels": overall[["label", "n", "share"]],
        "by_actor": part("actor", ["actor"], drop_null=["actor"]),
        "by_period": part("period", ["period"], drop_null=["period"]),
        "by_source": part("source", ["source"], drop_null=["source"]),
        "actor_period": part("actor_period", ["actor", "period"], drop_null=["actor", "period"]),
    }
    out["actor_label"] = actor_label(out["by_actor"], labels)
    return out


def actor_label(by_actor: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """The actor x label matrix: one row per actor, its total, a count and a share per label."""
    if by_actor.empty:
        return pd.DataFrame(columns=["actor", "n"])
    n = by_actor.pivot_table(index="actor", columns="label", values="n", aggfunc="sum", fill_value=0)
    n = n.reindex(columns=[lab for lab in labels if lab in n.columns])
    total = n.sum(axis=1)
    share = n.div(total, axis=0)
    out = pd.concat([total.rename("n"), n.add_prefix("n_"), share.add_prefix("share_")], axis=1)
    return out.sort_values("n", ascending=False).reset_index()


def top_actors(by_actor: pd.DataFrame, k: int) -> list[str]:
    """The k actors with the most sentences."""
    if by_actor.empty:
        return []
    totals = by_actor.groupby("actor")["n"].sum().sort_values(ascending=False, kind="stable")
    return list(totals.index[:k])
