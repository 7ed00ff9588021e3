"""Entry point: python scripts/report.py input=<predict output> [output=<folder>] [overrides]
-> stance.report.run(cfg). See configs/report.yaml."""

from pathlib import Path

from stance import report
from stance.cli import hydra_entry

main = hydra_entry("report", report.run, root=Path(__file__).resolve().parents[1])

if __name__ == "__main__":
    main()
