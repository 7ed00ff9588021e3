"""Entry point: python scripts/evaluate.py [overrides] -> stance.evaluate.run(cfg). See configs/evaluate.yaml."""

from pathlib import Path

from stance import evaluate
from stance.cli import hydra_entry

main = hydra_entry("evaluate", evaluate.run, root=Path(__file__).resolve().parents[1],
                   routes={"model": "model_uri", "data": "data_file"},
                   groups=("data",))

if __name__ == "__main__":
    main()
