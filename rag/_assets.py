"""Files that ship inside installed packages (model weights, tokenizer ranks): where they are, and their SHA-256."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from .errors import ConfigurationError

__all__ = ["sha256_of", "package_folder", "package_folders"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_folders(module: str) -> list[Path]:
    """The folders of an installed package (several for a namespace package); [] when it is not installed."""
    spec = importlib.util.find_spec(module)
    return [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []


def package_folder(module: str, what: str, fix: str) -> Path:
    """The folder of the installed package ``module``, or a ConfigurationError saying how to install it."""
    folders = package_folders(module)
    if not folders:
        raise ConfigurationError(f"The {what} is not installed.", fix=fix)
    return folders[0]
