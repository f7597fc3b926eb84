"""Loading an example as a module (examples/ is not a package) and running one as a script."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from types import ModuleType

from ._paths import EXAMPLES, ROOT


def load_example(name: str) -> ModuleType:
    """examples/<name>.py as a module, registered in sys.modules (dataclasses and pydantic look it up there)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, limit: float = 20.0) -> subprocess.CompletedProcess[str]:
    """``python examples/<name>.py ARGS`` from the repository root, with no credentials in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOWCODEAPI_API_TOKEN", "HEYGEN_API_KEY")}
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=limit,
        check=False,
    )
