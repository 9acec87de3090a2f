"""mfalint's cache folder: the index of the action catalog and generated rule pages.

Everything here can be rebuilt, so a failure to write is logged and ignored.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

LOG = logging.getLogger(__name__)

__all__ = ["cache_dir", "write_cache_file"]


def cache_dir() -> Path:
    """Return ``$MFALINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mfalint``, else ``~/.cache/mfalint``."""
    configured = os.environ.get("MFALINT_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mfalint"


def write_cache_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically, creating its folder, and return False when that failed.

    A reader gets the old content or the new, never a mix, so two mfalint
    processes may write the same file at once.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError as error:
        LOG.debug("could not write the cache file %s: %s", path, error)
        return False
    return True
