"""webui imports what its docstring says it may, and loading it loads no model."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import embeddings
import feeds
import qa
import webui

WEBUI = Path(webui.__file__).parent
PUBLIC = {"qa": set(qa.__all__), "feeds": set(feeds.__all__), "embeddings": set(embeddings.__all__)}
STDLIB = sys.stdlib_module_names


def imports(path: Path):
    """(module, names) for each import statement; relative imports as ``.module``."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or ""), tuple(a.name for a in node.names)


@pytest.mark.parametrize("path", sorted(WEBUI.glob("*.py")), ids=lambda p: p.name)
def test_webui_imports_only_the_standard_library_and_the_public_apis_below_it(path):
    for module, names in imports(path):
        top = module.split(".")[0]
        if module.startswith(".") or top in STDLIB or module == "__future__":
            continue
        assert module in PUBLIC, f"{path.name} imports {module}: webui may import qa, feeds and embeddings only"
        assert names, f"{path.name}: `import {module}`; import the names it uses"
        assert set(names) <= PUBLIC[module], f"{path.name} imports {set(names) - PUBLIC[module]} from {module}"


def test_importing_webui_loads_no_model_and_no_web_framework():
    # openai too: the server backend lives in qa/generators/openai.py and must import it only on use.
    heavy = ["torch", "transformers", "sentence_transformers", "llama_cpp", "openai", "faiss", "gradio"]
    code = f"import sys, webui; print([m for m in {heavy!r} if m in sys.modules])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=WEBUI.parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
