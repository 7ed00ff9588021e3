"""What the hardware does natively (one place for the checks that pick precisions and runtimes)."""

from __future__ import annotations

import os
import platform
from functools import lru_cache

# CPU flags that decide which inference path is fast (as /proc/cpuinfo spells them)
SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16",
               "amx_tile", "amx_int8", "amx_bf16")


# The instruction-set caps the math libraries honour, as a user (or a benchmark that stands in
# for an older CPU) sets them: ATen's kernels, oneDNN's (bf16 matmuls) and MKL's (fp32 matmuls).
# With ISA_ENV["avx2"] set, this AVX-512 CPU runs torch like an AVX2-only one.
ISA_ENV = {"avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                    "MKL_ENABLE_INSTRUCTIONS": "AVX2"}}
# oneDNN ISA names without AVX-512, and those below the first with bf16 dot products (AVX512_CORE_BF16)
_ONEDNN_AVX2_OR_LOWER = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2"}
_ONEDNN_BELOW_BF16 = _ONEDNN_AVX2_OR_LOWER | {"AVX512_CORE", "AVX512_CORE_VNNI"}


def isa_capped_to_avx2() -> bool:
    """Whether the environment caps torch's kernels at AVX2 or lower (see ISA_ENV)."""
    aten = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    onednn = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    return aten in ("default", "avx2") or onednn in _ONEDNN_AVX2_OR_LOWER


def native_bf16(device: str = "cpu") -> bool:
    """Whether bf16 matmuls run in hardware: a GPU that supports them, or a CPU with
    AVX512-BF16 or AMX (elsewhere bf16 autocast is emulated and slower than fp32) that
    ONEDNN_MAX_CPU_ISA / ATEN_CPU_CAPABILITY do not cap below it."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if isa_capped_to_avx2() or os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() in _ONEDNN_BELOW_BF16:
        return False
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu, private but stable
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def native_int8() -> bool:
    """Whether the CPU multiplies int8 faster than fp32: VNNI (AVX512-VNNI, AVX-VNNI) or AMX.
    Without it (AVX2 only) ONNX Runtime's int8 MatMul runs no faster than fp32."""
    flags = set(cpu_info()["flags"])
    return bool(flags & {"avx512_vnni", "avx_vnni", "amx_int8"})


@lru_cache(maxsize=1)
def cpu_info() -> dict:
    """The CPU's model name, its speed-relevant flags (SPEED_FLAGS) and the cores this process
    may use: what benchmark results and run summaries record."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:  # not Linux: ask torch what it found
        try:
            import torch

            cap = torch.backends.cpu.get_cpu_capability().lower()  # e.g. "avx512", "avx2"
            flags = {"avx2"} | ({"avx512f"} if cap.startswith("avx512") else set())
        except Exception:
            pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    usable = [f for f in SPEED_FLAGS if f in flags]
    info: dict = {"model": model, "flags": usable, "cores": cores}
    if isa_capped_to_avx2():  # what the capped libraries can use (ONNX Runtime ignores the caps)
        info["flags"] = [f for f in usable if f in ("avx2", "fma", "avx_vnni")]
        info["isa_cap"] = "avx2"
    return info
