"""The import-cycle check CI runs (.ci/import_cycles.py): it finds real cycles and the tree has none."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / ".ci" / "import_cycles.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_cycle_is_found_and_type_checking_imports_do_not_count(tmp_path: Path, monkeypatch) -> None:
    check = _checker()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("from pkg.c import thing\n")
    (pkg / "c.py").write_text("import pkg.a\nthing = 1\n")
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import e\n")
    (pkg / "e.py").write_text("from pkg import d\n")
    monkeypatch.setattr(check, "ROOT", tmp_path)
    assert check.cycles(check.graph(["pkg"])) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_the_packages_have_no_import_cycle() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "import_cycles.py")], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "no import cycles" in run.stdout
