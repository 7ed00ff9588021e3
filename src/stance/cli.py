"""Thin-entry-point helpers: environment, Hydra wiring, one-line errors."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Callable

from stance.errors import StanceError


def setup_environment(root: Path) -> None:
    """Offline by default (a hub look-up otherwise hangs ~50 s), project root for the configs."""
    os.environ.setdefault("STANCE_ROOT", str(root))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    # Library chatter that says nothing actionable to our users.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow\..*")
    warnings.filterwarnings("ignore", category=FutureWarning)


def route_overrides(argv: list[str], configs: Path) -> list[str]:
    """Let evaluate/predict take `model=<folder or URI>` and `data=<file>`.

    Hydra treats `model=` and `data=` as config-group choices because train's groups
    share the config folder; a path is routed to `model_uri=` / `data_file=` instead.
    `data=<name>` with configs/data/<name>.yaml stays a group choice.
    """
    routed = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and key == "model":
            arg = f"model_uri={value}"
        elif sep and key == "data" and not (configs / "data" / f"{value}.yaml").is_file():
            arg = f"data_file={value}"
        routed.append(arg)
    return routed


def hydra_entry(config_name: str, stage: Callable, root: Path, route_paths: bool = False) -> Callable:
    """A `main()` that composes configs/<config_name>.yaml and runs `stage(cfg)`.

    A StanceError (a problem the user can fix) is printed on one line, exit status 2.
    """
    setup_environment(root)
    import hydra

    from stance.config import register_configs

    register_configs()
    configs = (root / "configs").resolve()
    if route_paths:
        sys.argv[1:] = route_overrides(sys.argv[1:], configs)

    @hydra.main(version_base="1.3", config_path=str(configs), config_name=config_name)
    def _main(cfg):
        try:
            return stage(cfg)
        except StanceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)

    return _main
