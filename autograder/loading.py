"""Load a Python file as a module under a name of our choosing.

In the grader, for trusted files only (the reference solutions, a module
the grader built): they run in the calling process. A student's module is
loaded with the same function, but only by the sandbox's child
(sandbox/child.py), inside its lock-down and under its audit hook.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_file(path: Path, name: str) -> ModuleType:
    """Import `path` as `name` (kept in sys.modules, so solutions and stubs of
    one module can be loaded side by side under different names)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
