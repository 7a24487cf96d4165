import json

import pytest

from embeddings import InvalidInputError
from embeddings import embedder as embedder_module
from embeddings import precision_probe
from embeddings.precision_probe import PROBE_FILE, probed_precision


def never(precision: str) -> float:
    raise AssertionError(f"measured {precision} when nothing needed measuring")


def speeds(fp32: float, bf16: float):
    calls = []

    def measure(precision: str) -> float:
        calls.append(precision)
        return {"fp32": fp32, "bf16": bf16}[precision]

    return measure, calls


@pytest.fixture
def bf16_flags(monkeypatch):
    monkeypatch.setattr(embedder_module, "cpu_has_native_bf16", lambda: True)
    monkeypatch.setattr(precision_probe, "cpu_name", lambda: "Test CPU 9000")


def test_without_bf16_flags_float32_is_chosen_without_measuring(tmp_path, monkeypatch):
    monkeypatch.setattr(embedder_module, "cpu_has_native_bf16", lambda: False)
    assert probed_precision("auto", tmp_path, measure=never) == "fp32"
    assert not (tmp_path / PROBE_FILE).exists()


@pytest.mark.parametrize("setting", ["fp32", "bf16"])
def test_a_forced_precision_is_never_measured(tmp_path, bf16_flags, setting):
    assert probed_precision(setting, tmp_path, measure=never) == setting


def test_unknown_precision_is_refused_before_any_probe(tmp_path, bf16_flags):
    with pytest.raises(InvalidInputError, match="NEWSDESK_EMBED_PRECISION"):
        probed_precision("int4", tmp_path, measure=never)


@pytest.mark.parametrize("fp32, bf16, expected", [
    (47.0, 130.0, "bf16"),  # the AMX machines
    (50.0, 47.0, "fp32"),  # bf16 flags, but not faster (an AMD EPYC without AMX)
    (50.0, 51.0, "fp32"),  # within the noise: float32's exact vectors win
])
def test_auto_keeps_the_faster_precision_and_remembers_it_per_cpu(tmp_path, bf16_flags, fp32, bf16, expected):
    measure, calls = speeds(fp32, bf16)
    assert probed_precision("auto", tmp_path, measure=measure) == expected
    assert sorted(calls) == ["bf16", "fp32"]
    saved = json.loads((tmp_path / PROBE_FILE).read_text())
    (key, record), = saved.items()
    assert key.startswith("Test CPU 9000; torch ")
    assert record["choice"] == expected and record["fp32_texts_per_s"] == fp32
    # The next process reads the choice instead of measuring again.
    assert probed_precision("auto", tmp_path, measure=never) == expected


def test_another_cpu_model_is_measured_again(tmp_path, bf16_flags, monkeypatch):
    probed_precision("auto", tmp_path, measure=speeds(40.0, 120.0)[0])
    monkeypatch.setattr(precision_probe, "cpu_name", lambda: "Other CPU")
    assert probed_precision("auto", tmp_path, measure=speeds(50.0, 40.0)[0]) == "fp32"
    assert len(json.loads((tmp_path / PROBE_FILE).read_text())) == 2


@pytest.mark.parametrize("damage", ["{not json", "[]", '{"Test CPU 9000; torch x": {"choice": "int4"}}'])
def test_a_damaged_record_is_measured_again(tmp_path, bf16_flags, damage):
    (tmp_path / PROBE_FILE).write_text(damage)
    assert probed_precision("auto", tmp_path, measure=speeds(40.0, 120.0)[0]) == "bf16"
    assert json.loads((tmp_path / PROBE_FILE).read_text())


def test_an_unwritable_cache_still_answers(tmp_path, bf16_flags):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert probed_precision("auto", blocker / "cache", measure=speeds(40.0, 120.0)[0]) == "bf16"


@pytest.mark.slow
def test_the_real_probe_times_both_precisions(tmp_path, monkeypatch):
    monkeypatch.setattr(embedder_module, "cpu_has_native_bf16", lambda: True)
    choice = probed_precision("auto", tmp_path)
    (record,) = json.loads((tmp_path / PROBE_FILE).read_text()).values()
    assert choice == record["choice"] in ("fp32", "bf16")
    assert record["fp32_texts_per_s"] > 0 and record["bf16_texts_per_s"] > 0
