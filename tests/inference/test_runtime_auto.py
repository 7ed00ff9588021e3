"""runtime=auto: int8 ONNX only on a CPU with native int8 and for an export checked against fp32."""

import json
from types import SimpleNamespace

import pytest
import torch

import stance.inference.runtime as rt
from stance.errors import StanceError


def _classifier(folder, agreement=None, export=True):
    onnx = folder / "onnx"
    onnx.mkdir(parents=True, exist_ok=True)
    if export:
        (onnx / "model.int8.onnx").write_bytes(b"")
    if agreement is not None:
        (onnx / rt.EXPORT_REPORT).write_text(json.dumps({"int8_agreement": agreement}))
    return SimpleNamespace(family="transformer", source_dir=str(folder), model=torch.nn.Linear(2, 2),
                           set_precision=lambda precision: None)


@pytest.mark.parametrize("native, agreement, export, expected", [
    (True, 0.995, True, "onnx"),     # native int8, checked export above the floor
    (True, 0.985, True, "torch"),    # below the floor: the accurate path stays
    (True, None, True, "torch"),     # never checked
    (True, 0.995, False, "torch"),   # report without the int8 file
    (False, 0.995, True, "torch"),   # AVX2 only: int8 is no faster than fp32
])
def test_auto_picks_int8_only_where_fast_and_accurate(tmp_path, monkeypatch, native, agreement, export, expected):
    monkeypatch.setattr(rt, "native_int8", lambda: native)
    runtime, why = rt.resolve_runtime(_classifier(tmp_path, agreement, export), "auto")
    assert runtime == expected, why


def test_explicit_choices_win(tmp_path, monkeypatch):
    monkeypatch.setattr(rt, "native_int8", lambda: True)
    clf = _classifier(tmp_path, 0.999)
    assert rt.resolve_runtime(clf, "torch")[0] == "torch"
    assert rt.resolve_runtime(clf, "onnx-fp32")[0] == "onnx-fp32"
    assert rt.resolve_runtime(clf, "auto", precision="fp32")[0] == "torch"  # a torch precision asked for
    tfidf = SimpleNamespace(family="tfidf", source_dir=str(tmp_path))
    assert rt.resolve_runtime(tfidf, "auto")[0] == "torch"
    with pytest.raises(StanceError):
        rt.resolve_runtime(clf, "tensorrt")


def test_cpu_info_names_model_and_flags():
    from stance.hardware import SPEED_FLAGS, cpu_info

    info = cpu_info()
    assert info["model"] and info["cores"] >= 1
    assert set(info["flags"]) <= set(SPEED_FLAGS)
