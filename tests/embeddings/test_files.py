import os
import stat

import pytest

from embeddings import atomic_write, format_size, fsync_dir
from embeddings import files


def _entries(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("mode, data", [("wb", b"\x00\xffbytes"), ("w", "Zürich — 東京 ✓\n")])
def test_atomic_write_replaces_the_file_whole(tmp_path, mode, data):
    target = tmp_path / "out.dat"
    target.write_bytes(b"old")
    with atomic_write(target, mode) as fh:
        fh.write(data)
        # While the block runs the old file is intact and the new bytes sit in a hidden temp beside it.
        assert target.read_bytes() == b"old"
        (temp,) = [n for n in _entries(tmp_path) if n != "out.dat"]
        assert temp.startswith(".out.dat.") and temp.endswith(".tmp")
    assert target.read_bytes() == (data if mode == "wb" else data.encode("utf-8"))
    assert _entries(tmp_path) == ["out.dat"]


@pytest.mark.parametrize("error", [ValueError("bad data"), KeyboardInterrupt()])
def test_atomic_write_failing_block_leaves_the_old_file_and_no_temp(tmp_path, error):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(type(error)):
        with atomic_write(target, "w") as fh:
            fh.write("half of the new")
            raise error
    assert target.read_text() == "old"
    assert _entries(tmp_path) == ["out.txt"]


def test_atomic_write_failing_block_creates_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_write(tmp_path / "new.txt", "w"):
            raise RuntimeError
    assert _entries(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_atomic_write_disk_errors_leave_no_temp(tmp_path, monkeypatch, failing):
    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, failing, disk_full)
    target = tmp_path / "out.txt"
    with pytest.raises(OSError, match="No space"):
        with atomic_write(target, "w") as fh:
            fh.write("new")
    assert not target.exists()
    monkeypatch.undo()
    assert _entries(tmp_path) == []


def test_atomic_write_syncs_the_file_then_its_directory(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", spy)
    with atomic_write(tmp_path / "out.bin") as fh:
        fh.write(b"x")
    assert synced == ["file", "dir"]


def test_atomic_write_permissions(tmp_path):
    with atomic_write(tmp_path / "shared.bin", permissions=0o640) as fh:
        fh.write(b"x")
    assert stat.S_IMODE((tmp_path / "shared.bin").stat().st_mode) == 0o640


@pytest.mark.parametrize("mode", ["a", "r", "w+", "xb"])
def test_atomic_write_refuses_other_modes(tmp_path, mode):
    with pytest.raises(ValueError, match="mode"):
        with atomic_write(tmp_path / "out", mode):
            pass
    assert _entries(tmp_path) == []


def test_atomic_write_into_a_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        with atomic_write(tmp_path / "missing" / "out.txt", "w"):
            pass


def test_fsync_dir_recursive_syncs_every_file_and_folder_then_the_top(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub" / "b.txt").write_text("b")
    synced = []
    real_open = os.open

    def spy_open(path, flags, *args):
        fd = real_open(path, flags, *args)
        synced.append((fd, os.path.relpath(path, tmp_path)))
        return fd

    monkeypatch.setattr(files.os, "open", spy_open)
    fsync_dir(tmp_path, recursive=True)
    names = [name for _, name in synced]
    assert sorted(names[:-1]) == ["a.txt", "sub", os.path.join("sub", "b.txt")] and names[-1] == "."
    synced.clear()
    fsync_dir(tmp_path)
    assert [name for _, name in synced] == ["."]


@pytest.mark.parametrize("n, shown", [
    (0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 kB"), (1500, "1.5 kB"), (40_000, "40 kB"),
    (99_999, "100 kB"), (100_000, "0.1 MB"), (1_000_000, "1.0 MB"), (1_500_000, "1.5 MB"),
    (9_940_000, "9.9 MB"), (64_000_000, "64 MB"), (2.5e9, "2500 MB"),
])
def test_format_size(n, shown):
    assert format_size(n) == shown
