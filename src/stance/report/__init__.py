"""The report stage: predict output -> stance holders -> DuckDB tables -> figures -> one HTML page.

inputs.py (open and check a predict output), holders.py (the actor column, added when missing),
aggregate.py (DuckDB: counts by actor, period, source, label; examples), shifts.py (significant
changes of an actor's stance against its baseline), figures.py (Plotly for the page, matplotlib
PNGs), page.py (the self-contained HTML), stage.py (run(cfg))."""

from stance.report.stage import run

__all__ = ["run"]
