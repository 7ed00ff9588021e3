"""Entry point: python scripts/train.py [overrides] -> stance.train.run(cfg). See configs/train.yaml."""

from pathlib import Path

from stance import train
from stance.cli import hydra_entry

main = hydra_entry("train", train.run, root=Path(__file__).resolve().parents[1])

if __name__ == "__main__":
    main()
