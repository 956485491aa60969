"""Find and read the files to load: refuse, with the reason and the fix, anything that is not UTF-8 text.

A file is refused before parsing when it does not exist, is not a regular file, has an unsupported suffix, is
empty or only whitespace, is larger than the limit, starts with the magic bytes of a binary format (PDF, ZIP,
images, archives, executables...), is UTF-16, contains NUL bytes or is not valid UTF-8. A UTF-8 BOM is removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .errors import FileError

__all__ = ["SUPPORTED_SUFFIXES", "HTML_SUFFIXES", "MARKDOWN_SUFFIXES", "iter_files", "read_file"]


SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
MARKDOWN_SUFFIXES = (".md", ".markdown")

_BINARY_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (or .docx/.xlsx/.epub)",
    b"PK\x05\x06": "a ZIP archive",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office document",
    b"RIFF": "a media file",
    b"\x00\x00\x01\x00": "an icon",
    b"OggS": "an audio file",
    b"ID3": "an MP3 file",
}

_SUPPORTED_TEXT = ", ".join(SUPPORTED_SUFFIXES)


def iter_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Expand ``paths`` into a sorted list of files.

    Folders are searched recursively for supported suffixes; hidden files and folders (name starting
    with ``.``) are skipped. A file named explicitly is kept whatever its suffix, so that
    :func:`read_file` can refuse it with a clear reason. A path that does not exist raises FileError.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found: set[Path] = set()
    for item in paths:
        p = Path(item).expanduser()
        if not p.exists():
            raise FileError(
                f"{str(item)!r} does not exist.", path=str(item), fix="Check the spelling and the current folder."
            )
        if p.is_dir():
            for child in p.rglob("*"):
                rel = child.relative_to(p)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.add(child)
        else:
            found.add(p)
    return sorted(found, key=lambda x: str(x))


def read_file(path: str | Path, max_bytes: int = 5_000_000) -> str:
    """Return the UTF-8 text of ``path`` (BOM removed) or raise FileError saying what is wrong and what to do."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise FileError(f"{name!r} does not exist.", path=name, fix="Check the spelling and the current folder.")
    if not p.is_file():
        raise FileError(
            f"{name!r} is not a regular file.", path=name, fix="Give a text file, or a folder to load every file in it."
        )
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileError(
            f"{name!r} has an unsupported type ({p.suffix or 'no suffix'}).",
            path=name,
            fix=f"Convert it to plain text or HTML and save it with one of: {_SUPPORTED_TEXT}.",
        )
    size = p.stat().st_size
    if size == 0:
        raise FileError(f"{name!r} is empty (0 bytes).", path=name, fix="Add text to it or remove it.")
    if size > max_bytes:
        raise FileError(
            f"{name!r} is too large ({size:,} bytes; the limit is {max_bytes:,}).",
            path=name,
            fix="Split it into smaller files, or raise RAG_MAX_FILE_BYTES.",
        )
    try:
        data = p.read_bytes()
    except OSError as e:
        raise FileError(f"{name!r} cannot be read: {e.strerror or e}.", path=name, fix="Check its permissions.")
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise FileError(
                f"{name!r} is {kind}, not text.",
                path=name,
                fix=f"Extract its text and save it as UTF-8 with one of: {_SUPPORTED_TEXT}.",
            )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(
            f"{name!r} is UTF-16 text, not UTF-8.", path=name, fix="Re-save it with UTF-8 encoding."
        )
    if b"\x00" in data:
        raise FileError(
            f"{name!r} looks binary (it contains NUL bytes).",
            path=name,
            fix=f"Only UTF-8 text files are accepted ({_SUPPORTED_TEXT}); extract the text first.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FileError(
            f"{name!r} is not valid UTF-8 (bad byte at position {e.start}).",
            path=name,
            fix="Re-save it with UTF-8 encoding (e.g. `iconv -f latin1 -t utf-8`).",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise FileError(f"{name!r} contains only whitespace.", path=name, fix="Add text to it or remove it.")
    return text
