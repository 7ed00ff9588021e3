"""Entry point: python scripts/errors.py [overrides] -> stance.error_report.run(cfg). See configs/errors.yaml."""

from pathlib import Path

from stance import error_report
from stance.cli import hydra_entry

main = hydra_entry("errors", error_report.run, root=Path(__file__).resolve().parents[1],
                   routes={"model": "model_uri"}, groups=("data",))

if __name__ == "__main__":
    main()
