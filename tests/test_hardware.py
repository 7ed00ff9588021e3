"""The hardware checks honour the instruction-set caps the math libraries honour."""

import pytest

from stance import hardware


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    for name in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS"):
        monkeypatch.delenv(name, raising=False)
    hardware.cpu_info.cache_clear()
    yield
    hardware.cpu_info.cache_clear()


def test_avx2_cap_turns_off_bf16_and_hides_avx512_flags(monkeypatch):
    for name, value in hardware.ISA_ENV["avx2"].items():
        monkeypatch.setenv(name, value)
    assert hardware.isa_capped_to_avx2() and not hardware.native_bf16("cpu")
    info = hardware.cpu_info()
    assert info["isa_cap"] == "avx2" and not any(f.startswith(("avx512", "amx")) for f in info["flags"])


@pytest.mark.parametrize("cap, capped_to_avx2", [("AVX2", True), ("AVX512_CORE_VNNI", False)])
def test_onednn_cap_below_bf16_turns_off_bf16(monkeypatch, cap, capped_to_avx2):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    assert not hardware.native_bf16("cpu") and hardware.isa_capped_to_avx2() is capped_to_avx2


def test_without_caps_the_cpu_decides(monkeypatch):
    import torch

    assert not hardware.isa_capped_to_avx2() and "isa_cap" not in hardware.cpu_info()
    assert hardware.native_bf16("cpu") == (torch.cpu._is_avx512_bf16_supported()
                                           or torch.cpu._is_amx_tile_supported())
