import json

import pytest

import benchmarks.milvus_backend as milvus_backend


@pytest.mark.parametrize("flag", ["--local", "--source"])  # --source: the old name, still accepted
def test_copy_reads_the_local_index_named_by_either_flag(flag, monkeypatch, tmp_path, capsys):
    copied = []
    monkeypatch.setattr(milvus_backend, "copy_index",
                        lambda local, target, settings: copied.append((local, target)) or {"seconds": 0})
    argv = ["copy", flag, str(tmp_path / "idx"), "--index", str(tmp_path / "m"), "--uri", str(tmp_path / "m.db")]
    assert milvus_backend.main(argv) == 0
    assert copied == [(tmp_path / "idx", tmp_path / "m")]
    assert json.loads(capsys.readouterr().out)["seconds"] == 0
