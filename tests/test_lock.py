"""The locks cover pyproject.toml: every dependency pinned, to a version its bounds allow."""

from __future__ import annotations

import re

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {canonicalize_name(n): v for n, v in PIN.findall(text)}


def _requirements(extras: tuple[str, ...]) -> list[Requirement]:
    """The project's requirements with `extras` (and the extras they name, e.g. stance[onnx])."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs, todo, seen = [Requirement(r) for r in project["dependencies"]], list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for r in map(Requirement, project["optional-dependencies"][extra]):
            if canonicalize_name(r.name) == "stance":
                todo += sorted(r.extras)
            else:
                reqs.append(r)
    return reqs


@pytest.mark.parametrize("lock, extras", [("default.lock", ()), ("dev.lock", ("dev",))])
def test_lock_pins_every_dependency_within_its_bounds(lock, extras):
    pins = _pins(lock)
    assert "torch" not in pins  # torch comes from TORCH_SPEC (the CPU build), never from the lock
    problems = []
    for req in _requirements(extras):
        name = canonicalize_name(req.name)
        if name == "torch" or (req.marker and not req.marker.evaluate()):
            continue
        if name not in pins:
            problems.append(f"{req} is not in requirements/{lock}")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req} does not allow the locked {pins[name]}")
    assert problems == [], "run `make lock`: " + "; ".join(problems)


def test_every_pin_has_hashes_and_the_locks_agree():
    dev, default = _pins("dev.lock"), _pins("default.lock")
    assert {n: v for n, v in dev.items() if n in default} == default  # default.lock is dev.lock's subset
    assert _pins("installer.lock") == {"uv": dev["uv"]}
    for name in ("dev.lock", "default.lock", "installer.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / name).read_text())
        assert all("--hash=sha256:" in b for b in blocks if PIN.match(b)), name
