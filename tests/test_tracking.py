import time

import pytest
from omegaconf import OmegaConf

from stance.errors import StanceError
from stance.tracking import MAX_KEY, MAX_VALUE, check_reachable, flatten


def test_flatten_dotted_keys():
    cfg = {"model": {"name": "minilm", "max_length": 128}, "labels": ["a", "b"], "seed": 1,
           "empty": {}}
    assert flatten(cfg) == {"model.name": "minilm", "model.max_length": "128",
                            "labels": "['a', 'b']", "seed": "1", "empty": "{}"}


def test_flatten_respects_mlflow_limits():
    cfg = {"k" * 400: "v", "long": "x" * 10_000}
    flat = flatten(cfg)
    assert all(len(k) <= MAX_KEY for k in flat)
    assert all(len(v) <= MAX_VALUE for v in flat.values())
    assert len(flat) == 2


def test_flatten_accepts_omegaconf_containers():
    cfg = OmegaConf.to_container(OmegaConf.create({"a": {"b": 1}}))
    assert flatten(cfg) == {"a.b": "1"}


def test_unreachable_server_fails_fast():
    started = time.time()
    with pytest.raises(StanceError, match="not reachable"):
        check_reachable("http://127.0.0.1:9", timeout_s=2)
    assert time.time() - started < 10
