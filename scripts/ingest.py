"""Entry point: python scripts/ingest.py [overrides] -> stance.ingest.run(cfg). See configs/ingest.yaml."""

from pathlib import Path

from stance import ingest
from stance.cli import hydra_entry

main = hydra_entry("ingest", ingest.run, root=Path(__file__).resolve().parents[1])

if __name__ == "__main__":
    main()
