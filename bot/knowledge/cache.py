"""A start-up cache: the parsed knowledge files, keyed by their exact bytes and this code.

Parsing YAML is most of a cold load (≈ 4 s for 10,000 entries). When nothing changed
since the last load, the loader reads back what it parsed then: the checked entries and
the problems found in the files, pickled into one file per knowledge base. The cache is
never required. The key is a hash of every knowledge file's path and bytes, of the
source of the modules that parse and check them, and of the Python and PyYAML versions,
so any edit makes a new key; the checks that depend on the date (`review_by`) and
across files (duplicate ids, related ids) run on every load. Any failure to read or
write the cache falls back to a normal load; it is logged at debug level only.

Where: `$CITIZEN_DESK_CACHE_DIR`, else `$XDG_CACHE_HOME/citizen-desk`, else
`~/.cache/citizen-desk`. `CITIZEN_DESK_CACHE_DIR=off` turns it off. The directory is
created private (0700) and ignored when someone else owns it or can write to it, since a
pickle runs code when it is read. It keeps the `KEEP` most recently used knowledge bases.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

ENV_DIR = "CITIZEN_DESK_CACHE_DIR"
OFF_VALUES = frozenset({"off", "0", "no", "none", "false"})
#: Cached knowledge bases kept (the least recently used beyond this are removed).
KEEP = 6
#: Smaller knowledge bases are not cached: they parse in well under a second.
MIN_BYTES = 1024 * 1024
#: A temporary file this old was left by a writer that died.
STALE_TMP_S = 3600
PREFIX = "kb-"
SUFFIX = ".pickle"
#: Bumped when the cached value changes shape without a change to the hashed modules.
FORMAT = "2"
_MODULES = ("cache", "loader", "model", "parse", "problems", "yamlsafe")


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """The cache directory from the environment, or None when caching is off."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_DIR, "").strip()
    if chosen.lower() in OFF_VALUES:
        return None
    try:
        code_version()
    except OSError as exc:  # no source files to hash (a frozen build): no cache
        log.debug("knowledge cache off: %s", exc)
        return None
    if chosen:
        return Path(chosen).expanduser()
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg) / "citizen-desk"
    try:
        return Path.home() / ".cache" / "citizen-desk"
    except RuntimeError:  # no home directory
        return None


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of what decides a parse: these modules' source, Python's and PyYAML's versions."""
    h = hashlib.sha256(f"{FORMAT}|{sys.version}|{yaml.__version__}".encode())
    h.update(b"libyaml" if getattr(yaml, "__with_libyaml__", False) else b"pure")
    here = Path(__file__).resolve().parent
    for name in _MODULES:
        h.update(name.encode() + b"\0" + (here / f"{name}.py").read_bytes())
    return h.hexdigest()


class FileKey:
    """Builds the cache key from the files, in order (path and bytes, unambiguously)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, rel: str, raw: bytes) -> None:
        """A file read whole."""
        name = rel.encode("utf-8", "surrogateescape")
        self._hash.update(b"F%d:%d:" % (len(name), len(raw)) + name)
        self._hash.update(raw)

    def key(self) -> str:
        """The cache key (including the code version)."""
        return hashlib.sha256(code_version().encode() + self._hash.digest()).hexdigest()


def _usable(directory: Path) -> bool:
    """The directory is ours and nobody else can write to it."""
    st = directory.stat()
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return not st.st_mode & 0o022


def read(directory: Path | None, key: str) -> list[Any] | None:
    """The parts cached under `key`, or None (missing, unreadable or not ours)."""
    if directory is None:
        return None
    path = directory / f"{PREFIX}{key}{SUFFIX}"
    try:
        if not path.exists() or not _usable(directory):
            return None
        with path.open("rb") as handle:
            count = pickle.load(handle)
            if not isinstance(count, int):
                raise ValueError("not a cache file")
            parts = [pickle.load(handle) for _ in range(count)]  # one pickle each
        os.utime(path)  # recently used: pruned last
        return parts
    except Exception as exc:  # any failure only means a normal load
        log.debug("knowledge cache %s not used: %s", path, exc)
        return None


def write(directory: Path | None, key: str, parts: list[Any]) -> None:
    """Cache `parts` under `key` (atomically), then drop the least recently used extras.

    Each part is a pickle of its own, so writing needs memory for the memo of one part's
    objects, not of the whole knowledge base's.
    """
    if directory is None:
        return
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _usable(directory):
            log.debug("knowledge cache %s not used: not private to this user", directory)
            return
        fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(len(parts), handle, protocol=pickle.HIGHEST_PROTOCOL)
                for part in parts:
                    pickle.dump(part, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(name, directory / f"{PREFIX}{key}{SUFFIX}")
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        _prune(directory)
    except Exception as exc:
        log.debug("knowledge cache not written to %s: %s", directory, exc)


def _prune(directory: Path) -> None:
    found = []
    stale = time.time() - STALE_TMP_S
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if path.name.startswith(PREFIX):
            found.append((mtime, path))
        elif path.name.startswith(".tmp-") and mtime < stale:  # left by a killed writer
            path.unlink(missing_ok=True)
    found.sort(reverse=True)
    for _, path in found[KEEP:]:
        path.unlink(missing_ok=True)
