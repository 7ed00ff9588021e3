"""The report's figures: Plotly for the interactive page, matplotlib for the PNG files.

Every figure is drawn from the report's tables (pure functions of DataFrames): stance timelines
per actor (stacked label shares per period, small multiples), the actor x stance heat map, and
the largest shifts (baseline share -> period share)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

KNOWN_COLORS = {"refusal": "#c0392b", "threat": "#8e44ad", "openness": "#27ae60",
                "reassurance": "#2980b9", "neutral": "#d5d8dc"}
PALETTE = ["#e67e22", "#16a085", "#f1c40f", "#7f8c8d", "#d35400", "#2c3e50"]
COLS = 3


def label_colors(labels: list[str], neutral: str) -> dict[str, str]:
    out, spare = {}, iter(PALETTE * 4)
    for lab in labels:
        out[lab] = "#d5d8dc" if lab == neutral else KNOWN_COLORS.get(lab) or next(spare)
    return out


def stack_order(labels: list[str], neutral: str) -> list[str]:
    """Stance labels at the bottom of a stack, the neutral one on top."""
    return [lab for lab in labels if lab != neutral] + [lab for lab in labels if lab == neutral]


def _period_text(p) -> str:
    return pd.Timestamp(p).strftime("%Y-%m-%d")


# ------------------------------------------------------------------------------------ Plotly

def timelines(actor_period: pd.DataFrame, actors: list[str], labels: list[str], neutral: str, period: str):
    """Stacked label shares per period, one panel per actor (Plotly)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    colors = label_colors(labels, neutral)
    rows = max(1, math.ceil(len(actors) / COLS))
    totals = actor_period.groupby("actor")["n"].sum()
    fig = make_subplots(rows=rows, cols=COLS, shared_yaxes=True, vertical_spacing=0.32 / rows + 0.04,
                        horizontal_spacing=0.04,
                        subplot_titles=[f"{a} ({int(totals.get(a, 0)):,})" for a in actors])
    for i, actor in enumerate(actors):
        sub = actor_period[actor_period["actor"] == actor]
        r, c = i // COLS + 1, i % COLS + 1
        for lab in stack_order(labels, neutral):
            part = sub[sub["label"] == lab].sort_values("period")
            fig.add_trace(go.Bar(
                x=[_period_text(p) for p in part["period"]], y=part["share"], name=lab,
                marker_color=colors[lab], legendgroup=lab, showlegend=i == 0,
                customdata=list(zip(part["n"], part["total"])),
                hovertemplate=f"<b>{actor}</b> %{{x}}<br>{lab}: %{{y:.0%}} (%{{customdata[0]}} of "
                              f"%{{customdata[1]}})<extra></extra>"), row=r, col=c)
    height = max(360, 250 * rows + 110)
    fig.update_layout(barmode="stack", bargap=0.05, height=height, margin=dict(t=110, b=30),
                      legend=dict(orientation="h", yanchor="bottom", y=1 + 45 / height, x=0),
                      template="plotly_white",
                      title=dict(text=f"Stance by {period}, top actors (share of their sentences)", x=0,
                                 y=1 - 12 / height, yanchor="top"))
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    return fig


def heatmap(actor_label: pd.DataFrame, actors: list[str], labels: list[str], neutral: str):
    """Share of each actor's sentences per stance label (Plotly)."""
    import plotly.graph_objects as go

    stance = [lab for lab in labels if lab != neutral and f"share_{lab}" in actor_label]
    m = actor_label.set_index("actor").reindex(actors)
    z = m[[f"share_{lab}" for lab in stance]].fillna(0).to_numpy()
    n = m[[f"n_{lab}" for lab in stance]].fillna(0).astype(int).to_numpy()
    text = [[f"{z[i][j]:.0%}<br>{n[i][j]:,}" for j in range(len(stance))] for i in range(len(actors))]
    fig = go.Figure(go.Heatmap(
        z=z, x=stance, y=[f"{a} ({int(t):,})" for a, t in zip(actors, m["n"].fillna(0))], text=text,
        texttemplate="%{text}", colorscale="YlOrRd", zmin=0, colorbar=dict(title="share", tickformat=".0%"),
        hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>"))
    fig.update_layout(height=max(300, 40 * len(actors) + 120), template="plotly_white",
                      yaxis=dict(autorange="reversed"), margin=dict(t=50),
                      title=dict(text="Actor x stance: share of the actor's sentences", x=0))
    return fig


def shift_label(row) -> str:
    return f"{row['actor']} · {_period_text(row['period'])} · {row['label']}"


def shifts_chart(shifts: pd.DataFrame, labels: list[str], neutral: str):
    """Baseline share -> period share for the largest significant shifts (Plotly)."""
    import plotly.graph_objects as go

    colors = label_colors(labels, neutral)
    fig = go.Figure()
    ys = [shift_label(r) for _, r in shifts.iterrows()]
    for y, (_, r) in zip(ys, shifts.iterrows()):
        fig.add_trace(go.Scatter(
            x=[r["share_base"], r["share"]], y=[y, y], mode="lines+markers", showlegend=False,
            line=dict(color=colors.get(r["label"], "#555"), width=3),
            marker=dict(size=[7, 12], symbol=["circle-open", "circle"]),
            hovertemplate=(f"{y}<br>baseline {r['share_base']:.0%} ({r['k_base']} of {r['n_base']})"
                           f"<br>period {r['share']:.0%} ({r['k']} of {r['n']})<br>q = {r['q_value']:.2g}"
                           "<extra></extra>")))
    fig.update_layout(height=max(260, 32 * len(ys) + 120), template="plotly_white", margin=dict(t=50),
                      xaxis=dict(tickformat=".0%", title="share of the actor's sentences (○ baseline, ● period)"),
                      yaxis=dict(autorange="reversed"),
                      title=dict(text="Largest significant shifts against each actor's baseline", x=0))
    return fig


# ------------------------------------------------------------------------------------ PNG

def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def timelines_png(actor_period: pd.DataFrame, actors: list[str], labels: list[str], neutral: str,
                  period: str, path: Path) -> Path:
    plt = _plt()
    colors = label_colors(labels, neutral)
    rows = max(1, math.ceil(len(actors) / COLS))
    fig, axes = plt.subplots(rows, COLS, figsize=(4.2 * COLS, 2.6 * rows), sharey=True, squeeze=False)
    for ax in axes.flat[len(actors):]:
        ax.axis("off")
    for ax, actor in zip(axes.flat, actors):
        sub = actor_period[actor_period["actor"] == actor]
        wide = sub.pivot_table(index="period", columns="label", values="share", fill_value=0).sort_index()
        x = range(len(wide))
        order = [lab for lab in stack_order(labels, neutral) if lab in wide]
        if len(wide) <= 30:  # bars while they are readable, areas (much faster to draw) beyond
            bottom = None
            for lab in order:
                ax.bar(x, wide[lab], bottom=bottom, color=colors[lab], width=0.95, label=lab)
                bottom = wide[lab] if bottom is None else bottom + wide[lab]
        else:
            ax.stackplot(list(x), *[wide[lab] for lab in order], colors=[colors[lab] for lab in order],
                         labels=order, step="mid")
        ticks = list(x)[:: max(1, len(wide) // 4)]
        ax.set_xticks(ticks, [_period_text(wide.index[i]) for i in ticks], fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_title(f"{actor} ({int(sub['n'].sum()):,})", fontsize=9)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.suptitle(f"Stance by {period}, top actors (share of their sentences)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def heatmap_png(actor_label: pd.DataFrame, actors: list[str], labels: list[str], neutral: str,
                path: Path) -> Path:
    plt = _plt()
    stance = [lab for lab in labels if lab != neutral and f"share_{lab}" in actor_label]
    m = actor_label.set_index("actor").reindex(actors)
    z = m[[f"share_{lab}" for lab in stance]].fillna(0).to_numpy()
    fig, ax = plt.subplots(figsize=(1.3 * len(stance) + 3, 0.38 * len(actors) + 1.5))
    im = ax.imshow(z, cmap="YlOrRd", vmin=0, aspect="auto")
    ax.set_xticks(range(len(stance)), stance)
    ax.set_yticks(range(len(actors)), [f"{a} ({int(t):,})" for a, t in zip(actors, m["n"].fillna(0))])
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            ax.text(j, i, f"{z[i, j]:.0%}", ha="center", va="center", fontsize=8,
                    color="white" if z[i, j] > 0.6 * (z.max() or 1) else "black")
    fig.colorbar(im, ax=ax, format=lambda v, _: f"{v:.0%}")
    ax.set_title("Actor x stance: share of the actor's sentences", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def shifts_png(shifts: pd.DataFrame, labels: list[str], neutral: str, path: Path) -> Path:
    plt = _plt()
    colors = label_colors(labels, neutral)
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(shifts), 1) + 1.5))
    for i, (_, r) in enumerate(shifts.iterrows()):
        c = colors.get(r["label"], "#555")
        ax.plot([r["share_base"], r["share"]], [i, i], color=c, lw=2.5)
        ax.scatter([r["share_base"]], [i], facecolors="none", edgecolors=c, s=30)
        ax.scatter([r["share"]], [i], color=c, s=50)
    ax.set_yticks(range(len(shifts)), [shift_label(r) for _, r in shifts.iterrows()], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("share of the actor's sentences (○ baseline, ● period)")
    ax.set_title("Largest significant shifts against each actor's baseline", fontsize=10)
    if shifts.empty:
        ax.text(0.5, 0.5, "no significant shifts", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
