"""DuckDB aggregation against counts computed independently with pandas."""

import random

import duckdb
import pandas as pd
import pytest

from stance.report import aggregate
from stance.report.inputs import open_input

LABELS = ["refusal", "openness", "threat", "reassurance", "neutral"]


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    rng = random.Random(3)
    rows = []
    for i in range(3000):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=rng.randrange(90))
        rows.append({"id": f"d{i // 3}:{i % 3}", "doc_id": f"d{i // 3}", "text": f"sentence {i}",
                     "actor": rng.choice(["Iran", "China", "Russia", None]),
                     "label": rng.choice(LABELS), "score": rng.random(),
                     "date": "garbage" if i % 97 == 0 else (None if i % 89 == 0 else day.strftime("%Y-%m-%d")),
                     "source": rng.choice(["wire", "cable"])})
    df = pd.DataFrame(rows)
    path = tmp_path_factory.mktemp("agg") / "pred.parquet"
    df.to_parquet(path)
    return df, path


def _run(path, period="week"):
    con = duckdb.connect()
    info = open_input(con, path)
    aggregate.rows_view(con, "src", info.columns, period=period, date_field="date", date_format=None,
                        source_field="source", actor_field="actor")
    return con, aggregate.tables(aggregate.count_groups(con), LABELS), aggregate.date_counts(con)


def test_tables_match_pandas(frame):
    df, path = frame
    con, t, dates = _run(path)
    assert dates["rows"] == len(df)
    assert dates["bad_date"] == (df["date"] == "garbage").sum()
    assert dates["no_date"] == df["date"].isna().sum()

    expect = df.groupby(["actor", "label"]).size()
    got = t["by_actor"].set_index(["actor", "label"])["n"]
    assert (got[got > 0].sort_index() == expect.sort_index()).all()
    share = t["by_actor"].set_index(["actor", "label"])["share"]
    assert share[("Iran", "threat")] == pytest.approx(expect[("Iran", "threat")] / (df["actor"] == "Iran").sum())

    day = pd.to_datetime(df["date"], errors="coerce", format="%Y-%m-%d")
    week = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.normalize()
    expect_week = df.assign(week=week).dropna(subset=["week"]).groupby(["week", "label"]).size()
    by_period = t["by_period"].assign(period=pd.to_datetime(t["by_period"]["period"]))
    got_week = by_period.set_index(["period", "label"])["n"]
    assert (got_week[got_week > 0].sort_index() == expect_week.sort_index()).all()

    matrix = t["actor_label"].set_index("actor")
    assert matrix.loc["China", "n"] == (df["actor"] == "China").sum()
    assert matrix.loc["China", "n_refusal"] == ((df["actor"] == "China") & (df["label"] == "refusal")).sum()
    assert list(t["labels"]["n"]) == [int((df["label"] == lab).sum()) for lab in LABELS]
    assert aggregate.top_actors(t["by_actor"], 2) == list(df["actor"].value_counts().index[:2])


def test_examples_are_the_highest_scoring(frame):
    df, path = frame
    con, t, _ = _run(path, period="month")
    ex = aggregate.examples(con, ["Iran"], 2)
    best = df[(df["actor"] == "Iran") & (df["label"] == "threat")].nlargest(2, "score")
    got = ex[(ex["label"] == "threat")].sort_values("rank")
    assert list(got["text"]) == list(best["text"]) and list(got["doc_id"]) == list(best["doc_id"])
    assert set(t["by_period"]["period"].astype(str)) == {"2024-01-01", "2024-02-01", "2024-03-01"}
