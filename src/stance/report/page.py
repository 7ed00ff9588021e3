"""The report as one self-contained HTML file: Plotly's JavaScript inlined once, no network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

TEMPLATE = Path(__file__).with_name("page.html.j2")
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def figure_html(fig, div_id: str) -> str:
    """A figure as an HTML fragment that needs the page's inlined plotly.js."""
    import plotly.io as pio

    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG)


def render(*, title: str, summary: dict, period: str, neutral: str, colors: dict, overall: pd.DataFrame,
           figures: dict, shifts: pd.DataFrame, examples: pd.DataFrame, actors: list[str], labels: list[str],
           notes: list[str], alpha: float, min_count: int) -> str:
    """The page's HTML (`figures`: name -> Plotly figure or None)."""
    import jinja2
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    frags = {name: Markup(figure_html(fig, f"{name}-chart")) if fig is not None else None
             for name, fig in figures.items()}
    ex_rows = []
    for actor in actors:
        sub = examples[examples["actor"] == actor]
        by_label = [(lab, sub[sub["label"] == lab].sort_values("rank").to_dict("records")) for lab in labels]
        ex_rows.append((actor, [(lab, rows) for lab, rows in by_label if rows]))
    shift_rows = shifts.assign(period=shifts["period"].map(lambda p: pd.Timestamp(p).strftime("%Y-%m-%d")))
    return template.render(
        title=title, summary=summary, period=period, neutral=neutral, colors=colors,
        overall=overall.to_dict("records"), shifts=shift_rows.to_dict("records"), examples=ex_rows,
        notes=notes, alpha=alpha, min_count=min_count, plotly_js=Markup(get_plotlyjs()),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), **frags)
