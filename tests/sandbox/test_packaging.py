"""The sandbox outside a clone: the wheel carries the example policies, and an installed copy finds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.sandbox import EXAMPLE_POLICIES
from tests.sandbox.conftest import ROOT

SOURCES = ["bot", "connectors", "clients/python", "policies", "pyproject.toml", "README.md"]


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


def test_bundled_examples_are_the_top_level_policies() -> None:
    bundled = _files(EXAMPLE_POLICIES)
    assert "refunds.yaml" in bundled
    assert bundled == _files(ROOT / "policies")


def test_wheel_ships_the_examples_and_an_installed_copy_uses_them_from_any_directory(tmp_path: Path) -> None:
    # Build from a copy, so the clone gets no build/ or egg-info from the test (the link is copied as a link).
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path)]
    subprocess.run([*pip, str(source)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("countersign-*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = {n.rsplit("/", 1)[-1]: z.read(n) for n in z.namelist() if "/example_policies/" in n}
    assert shipped == _files(ROOT / "policies")

    site = tmp_path / "site"  # a pure-Python wheel unpacked on the path is an installed copy
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import bot.sandbox as s; from bot.policy import load_policies; "
        "print(s.__file__); print(sorted(load_policies(s.EXAMPLE_POLICIES).workflows))"
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    where, workflows = run.stdout.splitlines()
    assert where.startswith(str(site))
    assert workflows == "['crm-updates', 'refunds', 'support-replies']"
