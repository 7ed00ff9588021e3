"""Push what a training run kept while its MLflow server was away into that run.

    python scripts/sync_run.py outputs/train/<time> [--uri http://server:5000]

A run whose tracking server stops answering goes on and keeps its params, metrics,
artifacts, the model to register and its alias in <output folder>/tracking/; the end of
the run names the command. Running it again goes on where it stopped, or does nothing.
"""

import argparse
import sys
from pathlib import Path

from stance.cli import setup_environment
from stance.errors import StanceError

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path, help="the run's output folder (outputs/train/<time>)")
    ap.add_argument("--uri", help="the tracking server, if not the one the run started on")
    args = ap.parse_args(argv)
    setup_environment(ROOT)
    from stance.tracking import sync_run

    try:
        print(sync_run(args.folder, args.uri))
    except StanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
