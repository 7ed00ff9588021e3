"""Entry point: python scripts/sample.py [overrides] -> stance.sample.run(cfg). See configs/sample.yaml."""

from pathlib import Path

from stance import sample
from stance.cli import hydra_entry

main = hydra_entry("sample", sample.run, root=Path(__file__).resolve().parents[1])

if __name__ == "__main__":
    main()
