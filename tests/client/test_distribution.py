"""The light client distribution: countersign-client builds as a wheel, installs alone in a fresh venv (httpx and
pydantic, never slack-bolt, psycopg or matplotlib) and proposes to the real service; the server's wheel builds too."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.live import Live

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"
SERVER_ONLY = {"slack-bolt", "slack-sdk", "psycopg", "psycopg-binary", "matplotlib", "sqlalchemy", "fastapi"}
PROPOSE = """
import sys
from countersign import Countersign
with Countersign(sys.argv[1], sys.argv[2]) as cs:
    p = cs.propose("payouts", "send", "Pay Alice for October", {"to": "alice@example.com", "amount": 120, "memo": ""})
print(p.status, p.route)
try:
    import bot
except ImportError:
    print("no server here")
"""


def _wheel(source: Path, out: Path) -> Path:
    """Build from a copy, so the clone gets no build/ or egg-info."""
    copy = out / f"src-{source.name}"
    shutil.copytree(
        source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".venv", "node_modules")
    )
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(copy)]
    subprocess.run(pip, check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no pip of its own) holding countersign-client and what it needs, installed by our pip."""
    tmp = tmp_path_factory.mktemp("client-dist")
    _wheel(CLIENT, tmp)
    (wheel,) = tmp.glob("countersign_client-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return python


def _installed(python: Path) -> set[str]:
    script = "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'].lower() for d in m.distributions()))"
    out = subprocess.run([str(python), "-c", script], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_the_client_installs_alone_and_proposes_to_the_real_service(client_venv: Path, live: Live) -> None:
    installed = _installed(client_venv)
    assert {"countersign-client", "httpx", "pydantic"} <= installed
    assert not installed & SERVER_ONLY
    run = subprocess.run(
        [str(client_venv), "-I", "-c", PROPOSE, live.url, live.token], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["pending approve", "no server here"]
    assert live.count() == 1


def test_both_distributions_build_as_wheels(tmp_path: Path) -> None:
    _wheel(CLIENT, tmp_path)
    _wheel(ROOT, tmp_path)
    (client,) = tmp_path.glob("countersign_client-*.whl")
    (server,) = tmp_path.glob("countersign-0*.whl")
    with zipfile.ZipFile(client) as z:
        names = z.namelist()
        metadata = z.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "countersign/client.py" in names
    assert "countersign/adapters/langgraph.py" in names
    assert not any(n.startswith(("bot/", "connectors/")) for n in names)
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert [r for r in requires if "extra ==" not in r] == [
        "Requires-Dist: httpx>=0.28",
        "Requires-Dist: pydantic>=2.13",
    ]
    assert any("mcp" in r and 'extra == "mcp"' in r for r in requires)
    with zipfile.ZipFile(server) as z:
        assert {"bot/app.py", "countersign/models.py"} <= set(z.namelist())  # the server shares the client's models
