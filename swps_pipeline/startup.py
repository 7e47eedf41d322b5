"""Modules that libraries import for features the pipeline never uses, kept out of its processes (issue 17)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without(module: str) -> Iterator[None]:
    """During the block, `import module` (and of its submodules) raises ImportError, so a library that imports it
    for an optional feature falls back as where it is not installed; afterwards it is importable as before. A
    process that imported it already keeps it."""
    hidden = module not in sys.modules
    if hidden:
        sys.modules[module] = None  # type: ignore[assignment]  (`import module` raises ImportError)
    try:
        yield
    finally:
        if hidden:
            del sys.modules[module]
