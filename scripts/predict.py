"""Entry point: python scripts/predict.py [overrides] -> stance.predict.run(cfg). See configs/predict.yaml."""

from pathlib import Path

from stance import predict
from stance.cli import hydra_entry

main = hydra_entry("predict", predict.run, root=Path(__file__).resolve().parents[1],
                   routes={"model": "model_uri"})

if __name__ == "__main__":
    main()
