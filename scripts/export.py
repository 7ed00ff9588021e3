"""Entry point: python scripts/export.py [overrides] -> stance.export.run(cfg). See configs/export.yaml."""

from pathlib import Path

from stance import export
from stance.cli import hydra_entry

main = hydra_entry("export", export.run, root=Path(__file__).resolve().parents[1],
                   routes={"model": "model_uri"})

if __name__ == "__main__":
    main()
