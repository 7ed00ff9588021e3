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
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers' "Loading weights" bar
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    # Library chatter that says nothing actionable to our users.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow\..*")
    warnings.filterwarnings("ignore", category=FutureWarning)


def route_overrides(argv: list[str], configs: Path, routes: dict[str, str],
                    groups: tuple[str, ...] = ()) -> list[str]:
    """Let a stage take `model=<folder or URI>`, `data=<file>`, `experiment=<name>`.

    Hydra reads `key=value` as a config-group choice whenever configs/<key>/ exists, and
    train's groups share the config folder. A `key` in `routes` is rewritten to its target
    key, except that a key in `groups` keeps naming a group when configs/<key>/<value>.yaml
    exists (so evaluate's `data=corpus` is still the data config).
    """
    routed = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and key in routes and not (key in groups and (configs / key / f"{value}.yaml").is_file()):
            arg = f"{routes[key]}={value}"
        routed.append(arg)
    return routed


def hydra_entry(config_name: str, stage: Callable, root: Path, routes: dict[str, str] | None = None,
                groups: tuple[str, ...] = ()) -> Callable:
    """A `main()` that composes configs/<config_name>.yaml and runs `stage(cfg)`.

    A StanceError (a problem the user can fix) is printed on one line, exit status 2 (or the
    error's own); Ctrl-C that a stage does not handle itself ends with one line, status 130.
    """
    setup_environment(root)
    import hydra

    from stance.config import register_configs

    register_configs()
    configs = (root / "configs").resolve()
    if routes:
        sys.argv[1:] = route_overrides(sys.argv[1:], configs, routes, groups)

    @hydra.main(version_base="1.3", config_path=str(configs), config_name=config_name)
    def _main(cfg):
        try:
            return stage(cfg)
        except StanceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            sys.exit(130)

    return _main
