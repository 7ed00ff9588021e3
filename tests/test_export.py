"""ONNX export of a tiny model, and predict with runtime=onnx."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_script

pytestmark = pytest.mark.integration


def test_export_and_onnx_runtime(tmp_path, data_dir, tiny_pretrained, monkeypatch):
    proc = run_script("train", f"model.pretrained={tiny_pretrained}", "debug=fast", f"data.dir={data_dir}",
                      "tracking=none", f"paths.models_dir={tmp_path}/models", f"hydra.run.dir={tmp_path}/o")
    assert proc.returncode == 0, proc.stderr[-3000:]
    folder = (tmp_path / "models" / "latest").resolve()
    ex = run_script("export", f"model={folder}", f"check_file={data_dir}/test.jsonl", "tracking=none",
                    f"check_more=[{data_dir}/validation.jsonl,{tmp_path}/absent.jsonl]",
                    f"hydra.run.dir={tmp_path}/e")
    assert ex.returncode == 0, ex.stderr[-3000:]
    assert (folder / "onnx" / "model.onnx").is_file() and (folder / "onnx" / "model.int8.onnx").is_file()
    assert "'fp32_agreement': 1.0" in ex.stdout
    report = json.loads((folder / "onnx" / "export.json").read_text())  # what runtime=auto reads
    assert report["fp32_agreement"] == 1.0 and 0.0 <= report["int8_agreement"] <= 1.0
    by_file = report["agreement_by_file"]  # every set that exists is checked; the floor is the lowest
    assert set(by_file) == {f"{data_dir}/test.jsonl", f"{data_dir}/validation.jsonl"}
    assert report["int8_agreement"] == min(v["int8_agreement"] for v in by_file.values())

    from stance.inference.runtime import OnnxClassifier
    from stance.models import load

    texts = [json.loads(l)["text"] for l in (data_dir / "train.jsonl").read_text().splitlines()]
    torch_p = load(folder).predict_proba(texts)
    onnx_clf = OnnxClassifier(folder, "model.onnx")
    assert onnx_clf.source_dir == str(folder)  # engine=ray and workers=N reload from it
    onnx_p = onnx_clf.predict_proba(texts)
    np.testing.assert_allclose(torch_p, onnx_p, atol=1e-4)

    pr = run_script("predict", f"model={folder}", f"input={data_dir}/test.jsonl", "runtime=onnx",
                    f"output={tmp_path}/p.jsonl", f"hydra.run.dir={tmp_path}/p")
    assert pr.returncode == 0, pr.stderr[-3000:]
    assert len(pd.read_json(tmp_path / "p.jsonl", lines=True)) == 5
    assert "[onnx]" in json.loads((tmp_path / "p.jsonl.summary.json").read_text())["model"]

    # precision: bf16 autocast stays close to fp32; fp16 needs a GPU; onnx sets its own precision
    from stance.errors import StanceError
    from stance.inference.runtime import load_runtime

    bf16 = load_runtime(load(folder), "torch", precision="bf16")
    np.testing.assert_allclose(bf16.predict_proba(texts), torch_p, atol=0.05)
    for runtime, precision in (("torch", "fp16"), ("onnx", "bf16"), ("torch", "int4")):
        with pytest.raises(StanceError):
            load_runtime(load(folder), runtime, precision=precision)

    # precision=auto: bf16 only for torch on hardware with native bf16
    import stance.inference.runtime as rt

    for native, expected in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(rt, "native_bf16", lambda device, native=native: native)
        assert rt.resolve_precision(load(folder), "torch", "auto") == expected
        assert rt.resolve_precision(load(folder), "onnx", "auto") == "fp32"
        assert rt.resolve_precision(load(folder), "torch", "fp32") == "fp32"
