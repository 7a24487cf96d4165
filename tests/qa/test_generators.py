"""Generators: routing, caching and errors with fakes; streaming, stop strings and KV-cache
reuse with the real 0.5B GGUF and a tiny random-weights transformers checkpoint (slow)."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path

import pytest

from embeddings.errors import InvalidInputError, ModelUnavailableError
from embeddings.settings import Settings
from qa import generators
from qa.generators import (
    MODEL_CHOICES,
    Generator,
    LlamaCppGenerator,
    OpenAIServerGenerator,
    TransformersGenerator,
    get_generator,
)
from qa.generators.base import StopScanner, check_messages


@pytest.fixture(autouse=True)
def empty_generator_cache(monkeypatch):
    monkeypatch.setattr(generators, "_cache", {})


# --------------------------------------------------------------------------- pure parts


def scan(pieces: list[str], stops: list[str]) -> tuple[list[str], bool]:
    scanner = StopScanner(stops)
    out = [scanner.feed(p) for p in pieces]
    if not scanner.stopped:
        out.append(scanner.flush())
    return [o for o in out if o], scanner.stopped


@pytest.mark.parametrize(
    ("pieces", "stops", "expected", "stopped"),
    [
        (["Hello", " world"], [], ["Hello", " world"], False),
        (["Hello", " world"], ["\n\n"], ["Hello", " world"], False),
        (["Answer.", "\n", "\nQuestion"], ["\n\n"], ["Answer."], True),  # stop split across pieces
        (["abc<|", "end|>tail"], ["<|end|>"], ["abc"], True),
        (["abc<", "b>def"], ["<|end|>"], ["abc", "<b>def"], False),  # held prefix released
        (["Done [", "2]"], ["[2]", "Done"], [], True),  # earliest stop wins
        (["ab"], ["b", "ab"], [], True),
        (["x<"], ["<|end|>"], ["x", "<"], False),  # held tail flushed at the end
        (["Ünïcode ✓", " Σ"], ["Σ"], ["Ünïcode ✓", " "], True),
    ],
)
def test_stop_scanner(pieces, stops, expected, stopped):
    got, got_stopped = scan(pieces, stops)
    assert "".join(got) == "".join(expected)
    assert got_stopped is stopped


@pytest.mark.parametrize(
    ("messages", "max_tokens"),
    [
        ([], 10),
        ([{"role": "robot", "content": "hi"}], 10),
        ([{"role": "user", "content": None}], 10),
        ([{"content": "hi"}], 10),
        ([{"role": "user", "content": "hi"}], 0),
    ],
)
def test_bad_chat_is_invalid_input(messages, max_tokens):
    with pytest.raises(InvalidInputError):
        check_messages(messages, max_tokens)


# --------------------------------------------------------------------------- choosing


checks: list = []  # on_corrupt callbacks handed to the background hash check


class FakeBackend:
    def __init__(self, path, n_threads=2, model_id=None, **kwargs):
        self.path, self.n_threads, self.model_id = Path(path), n_threads, model_id or Path(path).name


@pytest.fixture
def fake_backends(monkeypatch, tmp_path):
    joined = []
    checks.clear()

    def fake_model_file(name, cache_dir):
        joined.append((name, Path(cache_dir)))
        return Path(cache_dir) / f"{name}.gguf"

    monkeypatch.setattr(generators, "model_file", fake_model_file)
    monkeypatch.setattr(generators, "verify_later", lambda name, cache_dir, on_corrupt: checks.append(on_corrupt))
    monkeypatch.setattr(generators, "LlamaCppGenerator", type("FakeLlama", (FakeBackend,), {}))
    monkeypatch.setattr(generators, "TransformersGenerator", type("FakeHF", (FakeBackend,), {}))
    return joined


def test_model_choices_are_the_packaged_models():
    assert MODEL_CHOICES == ("qwen2.5-1.5b", "qwen2.5-0.5b")
    assert Settings().model in MODEL_CHOICES


@pytest.mark.parametrize("name", MODEL_CHOICES)
def test_packaged_name_loads_llama_on_the_joined_file(name, fake_backends, tmp_path):
    settings = Settings(model_cache_dir=tmp_path, n_threads=3)
    gen = get_generator(name, settings)

    assert type(gen).__name__ == "FakeLlama"
    assert gen.path == tmp_path / f"{name}.gguf"
    assert gen.n_threads == 3
    assert gen.model_id == name
    assert fake_backends == [(name, tmp_path)]


def test_generators_are_cached_per_name_and_threads(fake_backends, tmp_path):
    two = Settings(model_cache_dir=tmp_path, n_threads=2)
    first = get_generator("qwen2.5-0.5b", two)

    assert get_generator("qwen2.5-0.5b", two) is first
    assert get_generator(" qwen2.5-0.5b ", two) is first
    assert get_generator("qwen2.5-0.5b", two.replace(n_threads=1)) is not first
    assert get_generator("qwen2.5-1.5b", two) is not first
    assert len(fake_backends) == 3


def test_a_model_found_corrupt_in_the_background_is_loaded_again(fake_backends, tmp_path):
    settings = Settings(model_cache_dir=tmp_path)
    first = get_generator("qwen2.5-0.5b", settings)
    assert len(checks) == 1  # one background check per load of a packaged model
    checks[0]()  # the check found the file corrupt and joined it again
    second = get_generator("qwen2.5-0.5b", settings)
    assert second is not first and len(fake_backends) == 2


def test_directory_goes_to_transformers(fake_backends, tmp_path):
    (tmp_path / "my-model").mkdir()
    gen = get_generator(str(tmp_path / "my-model"), Settings(model_cache_dir=tmp_path))

    assert type(gen).__name__ == "FakeHF"
    assert gen.path == tmp_path / "my-model"
    assert fake_backends == []


@pytest.mark.parametrize("name", ["gpt-5", "", "qwen2.5-7b", "/no/such/dir"])
def test_unknown_model_lists_the_choices(name, tmp_path):
    with pytest.raises(ModelUnavailableError) as err:
        get_generator(name, Settings(model_cache_dir=tmp_path))
    assert all(choice in str(err.value) for choice in MODEL_CHOICES)
    assert "checkpoint directory" in str(err.value)


def test_failed_load_is_not_cached(monkeypatch, tmp_path):
    calls = []

    def flaky(name, path, settings):
        calls.append(name)
        if len(calls) == 1:
            raise ModelUnavailableError("not yet")
        return FakeBackend(path)

    monkeypatch.setattr(generators, "_load", flaky)
    with pytest.raises(ModelUnavailableError):
        get_generator("qwen2.5-0.5b", Settings(model_cache_dir=tmp_path))
    assert get_generator("qwen2.5-0.5b", Settings(model_cache_dir=tmp_path)) is not None
    assert len(calls) == 2


def test_unloadable_packaged_file_loses_its_sidecar(monkeypatch, tmp_path):
    """So the next start re-hashes it instead of trusting it again."""
    gguf = tmp_path / "qwen2.5-0.5b.gguf"
    gguf.write_bytes(b"not a model")
    sidecar = tmp_path / "qwen2.5-0.5b.gguf.verified"
    sidecar.write_text("{}")
    monkeypatch.setattr(generators, "model_file", lambda name, cache_dir: gguf)

    with pytest.raises(ModelUnavailableError, match="re-checked"):
        get_generator("qwen2.5-0.5b", Settings(model_cache_dir=tmp_path))
    assert gguf.exists() and not sidecar.exists()


@pytest.mark.parametrize("content", [b"", b"GGUF" + b"\x00" * 64, bytes(range(256)) * 100])
def test_corrupt_gguf_is_model_unavailable_not_a_library_error(tmp_path, content):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(content)

    with pytest.raises(ModelUnavailableError, match="is corrupt, is not a GGUF model") as err:
        get_generator(str(bad), Settings(model_cache_dir=tmp_path))
    assert err.value.__cause__ is not None  # llama.cpp's own error, kept for the server log


@pytest.mark.parametrize(("library", "load", "message"), [
    ("llama_cpp", lambda tmp: LlamaCppGenerator(tmp / "model.gguf"), "llama-cpp-python is not installed"),
    ("transformers", lambda tmp: TransformersGenerator(tmp), "transformers is not installed"),
    ("openai", lambda tmp: OpenAIServerGenerator("http://127.0.0.1:9/v1"), "the openai package is not installed"),
])
def test_a_missing_library_names_the_fix(monkeypatch, tmp_path, library, load, message):
    for name in ("model.gguf", "config.json", "tokenizer.json"):
        (tmp_path / name).write_text("{}")
    monkeypatch.setitem(sys.modules, library, None)  # None in sys.modules -> ImportError
    with pytest.raises(ModelUnavailableError, match=f"^{message}: run `make setup`$") as err:
        load(tmp_path)
    assert err.value.__cause__ is None and err.value.__suppress_context__  # the message is the whole story


def test_missing_gguf_file(tmp_path):
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        LlamaCppGenerator(tmp_path / "nothing.gguf")


@pytest.mark.parametrize("layout", ["missing", "empty_dir", "file_not_dir"])
def test_transformers_checkpoint_errors_name_the_fix(tmp_path, layout):
    path = tmp_path / "ckpt"
    if layout == "empty_dir":
        path.mkdir()
    elif layout == "file_not_dir":
        path.write_text("hello")
    with pytest.raises(ModelUnavailableError, match="save_pretrained"):
        TransformersGenerator(path)


# --------------------------------------------------------------------------- real llama.cpp

SYSTEM = (
    "You are a careful assistant for a newsroom. Answer in one short sentence using only the "
    "passages the user gives; cite the passage number like [1]; if the passages do not say, "
    "reply: The articles do not say. "
) * 4


@pytest.fixture(scope="session")
def small_llama(tmp_path_factory) -> LlamaCppGenerator:
    cache = tmp_path_factory.mktemp("models")
    gen = generators._load("qwen2.5-0.5b", Path("qwen2.5-0.5b"), Settings(model_cache_dir=cache, n_threads=2))
    yield gen
    shutil.rmtree(cache, ignore_errors=True)  # half a GB


def chat(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@pytest.mark.slow
def test_llama_streams_an_answer_in_pieces(small_llama):
    assert isinstance(small_llama, Generator)
    pieces = list(small_llama.stream(chat("Answer in one word.", "What is the capital of France?"),
                                     max_tokens=16))

    assert "paris" in "".join(pieces).lower()
    assert all(isinstance(p, str) and p for p in pieces)
    stats = small_llama.last_stats
    assert 1 <= stats.generated_tokens <= 16
    assert 0 < stats.first_token_s <= stats.total_s


@pytest.mark.slow
def test_llama_streams_several_pieces_and_honours_max_tokens(small_llama):
    pieces = list(small_llama.stream(chat("You are helpful.", "Count from 1 to 20, separated by commas."),
                                     max_tokens=12))

    assert len(pieces) >= 5
    assert small_llama.last_stats.generated_tokens <= 12
    assert "1, 2, 3" in "".join(pieces)


@pytest.mark.slow
def test_llama_stop_strings_end_the_reply(small_llama):
    text = "".join(small_llama.stream(chat("You are helpful.", "Count from 1 to 20, separated by commas."),
                                      max_tokens=60, stop=["5"]))

    assert text.startswith("1, 2, 3, 4")
    assert "5" not in text


@pytest.mark.slow
def test_llama_reuses_the_system_prompt_kv_cache(small_llama):
    system = "Newsroom test A. " + SYSTEM
    n_system = small_llama.count_tokens(system)
    assert n_system > 150

    list(small_llama.stream(chat(system, "Passage [1]: Rain flooded Leeds. Question: What flooded?"), 8))
    cold = small_llama.last_stats
    list(small_llama.stream(chat(system, "Passage [1]: The mayor resigned. Question: Who resigned?"), 8))
    warm = small_llama.last_stats

    assert cold.prompt_evaluated > n_system  # the new system prompt was evaluated
    assert warm.prompt_tokens > n_system
    assert warm.prompt_evaluated < 40  # only the new user turn was
    assert warm.prompt_tokens - warm.prompt_evaluated >= n_system


@pytest.mark.slow
def test_llama_warm_up_evaluates_the_system_prompt_ahead(small_llama):
    system = "Newsroom test B. " + SYSTEM
    small_llama.warm_up(system)
    assert small_llama.last_stats.prompt_evaluated > small_llama.count_tokens(system)

    answer = "".join(small_llama.stream(chat(system, "Passage [1]: Rain flooded Leeds. Question: What flooded?"), 8))

    assert answer
    assert small_llama.last_stats.prompt_evaluated < 40


@pytest.mark.slow
def test_llama_system_prompt_state_is_saved_then_read_back_by_the_next_start(small_llama, tmp_path):
    system = "Newsroom test C. " + SYSTEM
    question = chat(system, "Passage [1]: Rain flooded Leeds. Question: What flooded?")
    small_llama.warm_up(system, state_dir=tmp_path)
    (saved,) = tmp_path.glob("*.kv")
    first = "".join(small_llama.stream(question, 8))

    # A new start (another context on the same file) reads the state instead of evaluating.
    again = LlamaCppGenerator(small_llama.model_path, model_id=small_llama.model_id)
    again.warm_up(system, state_dir=tmp_path)
    assert again.last_stats.prompt_evaluated == 0  # nothing was evaluated to warm up
    assert "".join(again.stream(question, 8)) == first
    assert again.last_stats.prompt_evaluated < 40  # the system turn came from the file

    saved.write_bytes(b"garbage")  # a damaged file is ignored: the prompt is evaluated instead
    third = LlamaCppGenerator(small_llama.model_path, model_id=small_llama.model_id)
    third.warm_up(system, state_dir=tmp_path)
    assert third.last_stats.prompt_evaluated > small_llama.count_tokens(system)
    assert "".join(third.stream(question, 8)) == first


@pytest.mark.slow
def test_llama_prompt_beyond_the_context_is_invalid_input(small_llama):
    with pytest.raises(InvalidInputError, match="too long"):
        list(small_llama.stream(chat("x", "news " * 5000), 8))
    # The context still works afterwards.
    assert "".join(small_llama.stream(chat("Answer in one word.", "What is the capital of France?"), 8))


@pytest.mark.slow
def test_llama_stop_flag_frees_the_model_for_the_next_chat_without_a_close(small_llama):
    cancel = threading.Event()
    kept = small_llama.stream(chat("You are helpful.", "Count from 1 to 200, separated by commas."),
                              max_tokens=400, cancel=cancel)
    assert next(kept)  # mid-stream, suspended, referenced, never closed
    cancel.set()
    answer = "".join(small_llama.stream(chat("Answer in one word.", "What is the capital of France?"), 8))
    assert "paris" in answer.lower()
    assert len("".join(kept)) < 200  # the counting stopped long before its 400 tokens


@pytest.mark.slow
def test_llama_count_tokens(small_llama):
    assert small_llama.count_tokens("") == 0
    assert 1 <= small_llama.count_tokens("Hello world") <= 3
    assert small_llama.count_tokens("word " * 100) >= 100


# --------------------------------------------------------------------------- real transformers

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
def build_tiny_checkpoint(path: Path, chat_template: str | None = CHATML) -> Path:
    """A byte-level Qwen2 tokenizer (256 byte tokens, a few merges) and a 2-layer random
    Qwen2 model: built offline in about a second, loaded like any Hugging Face checkpoint."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    from transformers.models.qwen2.tokenization_qwen2 import Qwen2Tokenizer

    vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
    merges = [("h", "e"), ("Ġ", "t"), ("Ġt", "he"), ("i", "n")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=merges, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                               additional_special_tokens=["<|im_start|>"])
    if chat_template:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    Qwen2ForCausalLM(config).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-qwen2"))


@pytest.mark.slow
def test_transformers_streams_greedily_from_a_local_checkpoint(tiny_checkpoint, tmp_path):
    gen = get_generator(str(tiny_checkpoint), Settings(model_cache_dir=tmp_path))
    assert isinstance(gen, TransformersGenerator)
    assert isinstance(gen, Generator)
    assert get_generator(str(tiny_checkpoint), Settings(model_cache_dir=tmp_path)) is gen

    messages = chat("answer the question", "what is the capital of france")
    pieces = list(gen.stream(messages, max_tokens=10))

    assert pieces and all(isinstance(p, str) for p in pieces)
    text = "".join(pieces)
    assert text.strip()
    assert 1 <= gen.last_stats.generated_tokens <= 10
    assert gen.last_stats.prompt_tokens == gen.count_tokens(
        "<|im_start|>system\nanswer the question<|im_end|>\n"
        "<|im_start|>user\nwhat is the capital of france<|im_end|>\n<|im_start|>assistant\n"
    )
    assert (gen.count_tokens("in"), gen.count_tokens("ab"), gen.count_tokens("")) == (1, 2, 0)
    assert "".join(gen.stream(messages, max_tokens=10)) == text  # greedy: deterministic


@pytest.mark.slow
def test_transformers_stop_strings_cut_the_reply(tiny_checkpoint):
    gen = TransformersGenerator(tiny_checkpoint)
    messages = chat("answer the question", "who resigned on monday")
    text = "".join(gen.stream(messages, max_tokens=12))
    assert len(text) >= 6, text
    stop = text[3:5]

    cut = "".join(gen.stream(messages, max_tokens=12, stop=[stop]))

    assert cut == text[: text.find(stop)]
    assert len(cut) <= 3
    gen.warm_up("anything")  # a no-op for this backend, but part of the shared surface


@pytest.mark.slow
def test_transformers_checkpoint_without_chat_template(tmp_path):
    path = build_tiny_checkpoint(tmp_path / "base-model", chat_template=None)
    with pytest.raises(ModelUnavailableError, match="no chat template"):
        TransformersGenerator(path)


@pytest.mark.slow
def test_transformers_broken_checkpoint_names_the_fix(tmp_path):
    path = tmp_path / "broken"
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    with pytest.raises(ModelUnavailableError, match="save_pretrained"):
        TransformersGenerator(path)


@pytest.mark.slow
@pytest.mark.parametrize(("damaged", "message"), [("tokenizer.json", "cannot load a tokenizer"),
                                                   ("model.safetensors", "cannot load a causal language model")])
def test_transformers_damaged_checkpoint_keeps_the_library_error_for_the_log(tiny_checkpoint, tmp_path, damaged,
                                                                             message):
    path = shutil.copytree(tiny_checkpoint, tmp_path / "damaged")
    (path / damaged).write_bytes(b"not what transformers wrote")
    with pytest.raises(ModelUnavailableError, match=f"{message} .*save_pretrained") as err:
        TransformersGenerator(path)
    assert err.value.__cause__ is not None  # the message names the fix; the log gets the traceback
