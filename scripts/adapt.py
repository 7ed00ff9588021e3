"""Entry point: python scripts/adapt.py [overrides] -> stance.adapt.run(cfg). See configs/adapt.yaml."""

from pathlib import Path

from stance import adapt
from stance.cli import hydra_entry

main = hydra_entry("adapt", adapt.run, root=Path(__file__).resolve().parents[1])

if __name__ == "__main__":
    main()
