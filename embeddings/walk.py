"""Which files an input (a file or folder to index) holds: the folder walk, symbolic links followed once, and a
``Skip`` (with its reason) for every entry that is not read."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


@dataclass(frozen=True)
class Skip:
    """An input that was not indexed, and why."""

    path: str
    reason: str
    # Whether an article indexed from this path before stays indexed: yes when the file is
    # unreadable now (a bad save must not lose the article), no when what it holds now is
    # not an article (an edit left only a stub or site chrome).
    keeps_indexed: bool = True


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def iter_files(root: Path) -> Iterator[Path | Skip]:
    """Files under ``root`` (or ``root`` itself), sorted, hidden ones left out.

    Symbolic links are followed, files and folders alike, as someone who links a folder of
    articles into an input expects. Each real folder is read once: a link to a folder that
    is read already (through the tree or another link) is reported, not read twice, and so
    are links that loop (to a folder above them, or link to link) and broken links.

    Yields:
        Paths of files to read, and a ``Skip`` for every link or entry that is not read.
    """
    if root.is_dir():
        real = root.resolve()
        yield from _walk(root, real, (real,), _read_in_place(root, real))
    elif root.is_file():
        yield root
    elif root.is_symlink() or root.exists():  # a broken or looping link, a named pipe
        yield from _follow(root, (), {})


def _read_in_place(root: Path, real: Path) -> dict[Path, Path]:
    """Real path -> path under ``root`` of each file and folder reached without a link.

    They are read where they are; a link to one of them is the copy that is reported.
    """
    found = {}
    for folder, subfolders, files in os.walk(real):  # os.walk does not follow links
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        here = root / Path(folder).relative_to(real)
        found[Path(folder)] = here
        found.update((Path(folder, name), here / name) for name in files if not name.startswith("."))
    return found


def _walk(folder: Path, real: Path, chain: tuple[Path, ...], claimed: dict[Path, Path]) -> Iterator[Path | Skip]:
    """Read ``folder`` (real path ``real``, reached through the real folders in ``chain``)."""
    try:
        entries = sorted((e for e in os.scandir(folder) if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as exc:
        yield Skip(display_path(folder), f"cannot read folder: {exc.strerror}")
        return
    for entry in entries:
        path, real_path = folder / entry.name, real / entry.name
        if entry.is_symlink():
            yield from _follow(path, chain, claimed)
        elif (is_dir := entry.is_dir(follow_symlinks=False)) or entry.is_file(follow_symlinks=False):
            owner = claimed.setdefault(real_path, path)
            if owner != path:  # reached earlier through a link to a folder above it
                yield Skip(_link_shown(path), f"same {'folder' if is_dir else 'file'} as {_link_shown(owner)}, "
                                              "read there; not read twice")
            elif is_dir:
                yield from _walk(path, real_path, chain + (real_path,), claimed)
            else:
                yield path
        else:  # opening a named pipe would block the build for ever
            yield Skip(_link_shown(path), "not a regular file (a pipe, socket or device); not read")


def _follow(path: Path, chain: tuple[Path, ...], claimed: dict[Path, Path]) -> Iterator[Path | Skip]:
    """What a symbolic link leads to: its file, its folder's files, or why it is not read."""
    shown = _link_shown(path)
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        yield Skip(shown, f"broken symlink: target{_link_target(path)} missing")
        return
    except RuntimeError:  # how Python before 3.13 reports a loop
        yield Skip(shown, "symlink loop; not followed")
        return
    except OSError as exc:
        yield Skip(shown, "symlink loop; not followed" if exc.errno == errno.ELOOP
                   else f"cannot read: {exc.strerror}")
        return
    if not target.is_file() and not target.is_dir():
        yield Skip(shown, "not a regular file (a pipe, socket or device); not read")
    elif target.is_dir() and any(folder.is_relative_to(target) for folder in chain):
        yield Skip(shown, "symlink loop (links to a folder above it); not followed")
    elif target in claimed:
        yield Skip(shown, f"links to {_link_shown(claimed[target])}, which is read already; not read twice")
    elif target.is_file():
        claimed[target] = path
        yield path
    else:
        claimed[target] = path
        yield from _walk(path, target, chain + (target,), claimed)


def _link_target(path: Path) -> str:
    try:
        return f" {os.readlink(path)!r}"
    except OSError:  # removed while we looked
        return ""


def _link_shown(path: Path) -> str:
    # display_path resolves links, which fails on a loop and hides which link it was.
    return str(Path(display_path(path.parent)) / path.name)
