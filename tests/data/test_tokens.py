import subprocess
import sys
import textwrap

import pytest

from migrator.data import tokens
from tests.data.conftest import FIXTURES


def test_offline_encoding_matches_tiktoken(reference):
    enc = tokens.encoding()
    texts = ["hello world", "Café ->\n\n###\n\n", " <|endoftext|> is text here", "数字 12345 🙂", ""]
    assert [enc.encode_ordinary(t) for t in texts] == [reference.encode_ordinary(t) for t in texts]
    assert enc.n_vocab == reference.n_vocab


def test_counter_chat_formula(reference, cat):
    seen = []
    counter = tokens.TokenCounter(cat.data, lambda tags, ns: seen.extend(zip(tags, ns)))
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi", "name": "ann"},
                {"role": "assistant", "content": "Hello!"}]
    counter.add_chat(7, messages)
    counter.add_completion(8, "Q ->", " A\n")
    counter.flush()
    enc = reference.encode_ordinary
    chat = 3 + sum(3 + sum(len(enc(v)) for v in m.values()) + ("name" in m) for m in messages)
    assert seen == [(7, chat), (8, len(enc("Q ->")) + len(enc(" A\n")))]


def test_hash_mismatch_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "cl100k_base.tiktoken"
    bad.write_bytes(b"aGVsbG8= 0\n")
    monkeypatch.setattr(tokens, "bpe_path", lambda: str(bad))
    with pytest.raises(tokens.TokenizerError, match="is not the official"):
        tokens.official_constructor("cl100k_base")()


def test_no_network_and_no_cache(tmp_path):
    """A fresh process with sockets blocked and an empty cache dir counts tokens and writes no cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    script = textwrap.dedent(f"""
        import socket
        def refuse(*a, **k):
            raise AssertionError("network used")
        socket.socket = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from migrator.data import check_file
        print(check_file({str(FIXTURES / "legacy_train.jsonl")!r})["tokens"]["total"])
    """)
    env = {"TIKTOKEN_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
    assert list(cache.iterdir()) == []


@pytest.mark.parametrize("parallel", [False, True], ids=["thread", "processes"])
def test_counter_batches_keep_order(reference, cat, monkeypatch, parallel):
    """Many small batches through the workers come back complete and in order."""
    monkeypatch.setattr(tokens, "BATCH_CHARS", 50)
    seen = []
    counter = tokens.TokenCounter(cat.data, lambda tags, ns: seen.extend(zip(tags, ns)), parallel=parallel)
    pairs = [(f"Question {i}: what is {i} squared? ->", f" {i * i} \u00e9\n") for i in range(60)]
    for i, (prompt, completion) in enumerate(pairs):
        counter.add_completion(i, prompt, completion)
    counter.flush()
    enc = reference.encode_ordinary
    assert seen == [(i, len(enc(p)) + len(enc(c))) for i, (p, c) in enumerate(pairs)]
    assert counter.pool is None


def test_large_files_count_in_worker_processes(cat, monkeypatch):
    """The worker-process path (large files) gives the same summary as the in-process one."""
    from migrator.data import analysis, check_file

    path = FIXTURES / "legacy_train.jsonl"
    expected = [check_file(path), check_file(path, model="gpt-3.5-turbo")]  # pass 1 / pass 2 counting
    monkeypatch.setattr(analysis, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(tokens, "BATCH_CHARS", 200)
    assert [check_file(path), check_file(path, model="gpt-3.5-turbo")] == expected


def test_workers_are_not_forked_from_a_threaded_process():
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert tokens._context().get_start_method() != "fork"
    finally:
        stop.set()
        other.join()
