"""Where the installation's own secrets come from: the environment (or a setting), else a file
under ``var/`` that the first process to need it creates, readable by its owner alone. One place
for the Django secret key, the audit chain's key, the field-encryption keys, the backup key and
the archive transfer key. Imports nothing from Django: ``settings.py`` itself calls it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def local_secret(name: str, path: Path, make: Callable[[], str], configured: str = "") -> str:
    """``configured`` (a setting) or the environment variable ``name`` if set; else the text of
    ``path`` (stripped), which is created with ``make()`` (mode 0600) when absent. Two processes
    starting together agree: the one that loses the race to create the file reads the other's."""
    if text := configured or os.environ.get(name, ""):
        return text
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(make() + "\n")
    return path.read_text().strip()
