"""Entry point: python scripts/compare.py [overrides] -> stance.compare.run(cfg). See configs/compare.yaml."""

from pathlib import Path

from stance import compare
from stance.cli import hydra_entry

main = hydra_entry("compare", compare.run, root=Path(__file__).resolve().parents[1],
                   routes={"experiment": "experiment_name"})

if __name__ == "__main__":
    main()
