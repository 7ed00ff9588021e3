"""What the hardware does natively (one place for the checks that pick precisions)."""

from __future__ import annotations


def native_bf16(device: str = "cpu") -> bool:
    """Whether bf16 matmuls run in hardware: a GPU that supports them, or a CPU with
    AVX512-BF16 or AMX (elsewhere bf16 autocast is emulated and slower than fp32)."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu, private but stable
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)
