"""Real old clients, unmodified, calling completions through the shim on 2026-11-28,
when the upstream (the fake of that day's API) serves chat models only.

openai 0.27.10 (``Completion.create``, plain and streamed, and the ``openai api
completions.create`` command line) and 1.3.0 (``client.completions.create``) run in
their own venvs (:mod:`tests.support.venvs`) against the shim served by uvicorn with
a catalog of that date.  Each test asserts what the client returned or printed and
exactly what reached the upstream.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest

from migrator.catalog import load_catalog
from migrator.shim.app import create_app
from migrator.shim.config import ShimConfig
from tests.fakes import FakeServer, TodayAPI
from tests.fakes.api_2023 import API2023
from tests.support.servers import serve_asgi

from .test_old_clients import run_script

DAY = dt.date(2026, 11, 28)
LEGACY_FT = "curie:ft-acmeco-2021-03-03-21-44-20"
CHAT_FT = "ft:gpt-4.1-mini-2025-04-14:org-fake:tickets:abc123"  # what the ticket classifier was re-trained as
PROGRAM = Path(__file__).parent / "programs" / "completions_ft.py"
ECHO_400 = ("Chat completions have no equal for echo (chat completions do not return the prompt), and the shim "
            "answers `text-davinci-003` with chat completions")


@pytest.fixture
def chat_only():
    with FakeServer(TodayAPI(as_of=DAY)) as server:
        yield server


@pytest.fixture
def chat_shim(chat_only):
    """``chat_shim(**settings)`` → the URL of a shim of 2026-11-28 in front of ``chat_only``."""
    with contextlib.ExitStack() as stack:
        def start(**settings) -> str:
            config = ShimConfig(upstream=chat_only.url, model_map={LEGACY_FT: CHAT_FT}, **settings)
            return stack.enter_context(serve_asgi(create_app(config, catalog=load_catalog(as_of=DAY))))
        yield start


def sent(upstream) -> list[tuple[str, str, object]]:
    return [(r.method, r.target, r.json) for r in upstream.requests]


def chat(model: str, content: str, **fields) -> tuple[str, str, dict]:
    return "POST", "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": content}],
                                            **fields}


V0 = """
    import json, openai
    out = {}
    c = openai.Completion.create(model="text-davinci-003", prompt="Where is my order?\\n\\n###\\n\\n", max_tokens=5)
    out["plain"] = [type(c).__name__, c.object, c.model, c.choices[0].text, c.choices[0].index,
                    c.choices[0].logprobs, c.choices[0].finish_reason, c.usage.total_tokens]
    out["stream"] = [[c.object, c.choices[0].text, c.choices[0].finish_reason]
                     for c in openai.Completion.create(engine="davinci", prompt="one two", stream=True)]
    bad = {"echo": dict(model="text-davinci-003", prompt="x", echo=True),
           "list": dict(model="text-davinci-003", prompt=["a", "b"]),
           "number": dict(model="text-davinci-003", prompt=3),
           "n_stream": dict(model="text-davinci-003", prompt="x", n=2, stream=True),
           "unknown": dict(model="no-such-model", prompt="x")}
    for name, kwargs in bad.items():
        try:
            openai.Completion.create(**kwargs)
        except openai.error.InvalidRequestError as e:
            out[name] = [e.http_status, e.param, e.code, e.user_message]
    print(json.dumps(out))
"""


def test_v0_completion_create(v0_venvs, chat_only, chat_shim):
    url = chat_shim()
    out = run_script(v0_venvs["0.27.10"], V0, {"OPENAI_API_KEY": "sk-test", "OPENAI_API_BASE": url + "/v1"})
    assert out == {
        "plain": ["OpenAIObject", "text_completion", "gpt-4.1-mini", "echo:Where is my order?", 0, None, "stop", 2],
        "stream": [["text_completion", "echo:one", None], ["text_completion", " two", None],
                   ["text_completion", "", "stop"]],
        "echo": [400, "echo", None, ECHO_400 + out["echo"][3][len(ECHO_400):]],
        "list": [400, "prompt", None, "prompt is a list of 2 prompts: chat completions answer one conversation per "
                                      "call, so one call per prompt would change what comes back; send one prompt "
                                      "per request."],
        "number": [400, "prompt", None, "prompt must be a string or a list, not a number."],
        "n_stream": [400, "n", None, "n=2 with stream=true: the shim streams one choice per request when it answers "
                                     "with chat completions; ask for n=1, or without stream."],
        "unknown": [404, None, "model_not_found", "The model `no-such-model` does not exist or you do not have "
                                                  "access to it."],
    }
    assert out["echo"][3].endswith("Leave it out, or start the shim with --lenient to drop it.")
    assert sent(chat_only) == [chat("gpt-4.1-mini", "Where is my order?", max_tokens=5),
                               chat("gpt-4.1-mini", "one two", stream=True),
                               chat("no-such-model", "x")]


V1 = """
    import json, openai
    from openai import OpenAI
    client = OpenAI(max_retries=0, timeout=30)
    strict = OpenAI(max_retries=0, timeout=30, _strict_response_validation=True)
    out = {}
    c = strict.completions.create(model="davinci-002", prompt="Question: 2 + 2\\n\\n###\\n\\n", max_tokens=16, n=2)
    out["plain"] = [type(c).__name__, c.object, c.model, [(x.index, x.text, x.finish_reason) for x in c.choices],
                    c.usage.total_tokens]
    # not strict: 1.3.0's strict mode refuses the null finish_reason of every chunk but the last,
    # which the legacy API sent too
    out["stream"] = [(type(x).__name__, x.choices[0].text, x.choices[0].finish_reason)
                     for x in client.completions.create(model="text-davinci-003", prompt="a b", stream=True)]
    try:
        client.completions.create(model="text-davinci-003", prompt="x", suffix="!", best_of=2)
    except openai.BadRequestError as e:
        out["no_equal"] = [type(e).__name__, e.status_code, e.param, e.response.json()["error"]["message"]]
    print(json.dumps(out))
"""


def test_v1_completions_create(v1_venv, chat_only, chat_shim):
    url = chat_shim()
    out = run_script(v1_venv, V1, {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": url + "/v1"})
    assert out == {
        "plain": ["Completion", "text_completion", "gpt-4.1-mini", [[0, "echo:Question: 2 + 2", "stop"]], 2],
        "stream": [["Completion", "echo:a", None], ["Completion", " b", None], ["Completion", "", "stop"]],
        "no_equal": ["BadRequestError", 400, "best_of", out["no_equal"][3]],
    }
    assert out["no_equal"][3].startswith(
        "Chat completions have no equal for best_of (chat completions return every candidate they generate (n=), "
        "none is chosen on the server); suffix (chat completions do not insert text before a suffix), and the "
        "shim answers `text-davinci-003` with chat completions")
    assert sent(chat_only) == [chat("gpt-4.1-mini", "Question: 2 + 2", max_tokens=16, n=2),
                               chat("gpt-4.1-mini", "a b", stream=True)]
    assert chat_only.requests[0].headers["user-agent"] == "OpenAI/Python 1.3.0"


def test_v0_cli_completions_create(v0_venvs, chat_only, chat_shim, tmp_path):
    """The 0.27 CLI always sends ``echo=true``: refused by name, answered with ``--lenient``."""
    venv = v0_venvs["0.27.10"]

    def cli(url: str, *args: str):
        proc = venv.run_cli(["-b", url + "/v1", "-k", "sk-test", "api", "completions.create", *args],
                            env={"TZ": "UTC"}, cwd=tmp_path, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    rc, out, err = cli(chat_shim(), "-m", "text-davinci-003", "-p", "hi")
    assert (rc, out) == (1, "")
    assert err.startswith(f"\x1b[91mError:\x1b[0m {ECHO_400}")
    assert err.endswith("Leave it out, or start the shim with --lenient to drop it. (HTTP status code: 400)\n")
    assert chat_only.requests == []

    lenient = chat_shim(lenient=True)
    assert cli(lenient, "-m", "text-davinci-003", "-p", "hi") == (0, "echo:hi", "")
    assert cli(lenient, "-e", "davinci", "-p", "one two", "--stream") == (0, "echo:one two", "")
    assert cli(lenient, "-m", LEGACY_FT, "-p", "Refund, please\n\n###\n\n", "-M", "3") == (0, "echo:Refund, please", "")
    assert sent(chat_only) == [chat("gpt-4.1-mini", "hi", stream=False),
                               chat("gpt-4.1-mini", "one two", stream=True),
                               chat(CHAT_FT, "Refund, please", max_tokens=3, stream=False)]


def _run_program(venv, base_url: str) -> str:
    code = f"import sys; sys.argv = [{str(PROGRAM)!r}, {base_url!r}]; exec(open(sys.argv[0]).read())"
    proc = venv.run_python(code, timeout=120, cwd=PROGRAM.parent)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_fine_tuned_program_prints_the_same_through_the_shim(v0_venvs, chat_only, chat_shim):
    """The legacy program on ``curie:ft-...``, unmodified: against the 2023 API, then through the shim with
    ``--model-map`` to the chat fine-tune it was re-trained as, against the API of 2026-11-28."""
    venv = v0_venvs["0.27.10"]
    with FakeServer(API2023()) as legacy:
        before = _run_program(venv, legacy.base_url)
    assert [(r.target, r.json["model"]) for r in legacy.requests] == [("/v1/completions", LEGACY_FT)] * 3
    assert LEGACY_FT not in chat_only.api.models  # the program cannot run there as it is

    after = _run_program(venv, chat_shim() + "/v1")
    assert after == before == ("echo:Where is my order? stop 2\n"
                               "echo:Refund, please stop 2\n"
                               "streamed echo:Cancel my plan stop\n")
    assert sent(chat_only) == [chat(CHAT_FT, "Where is my order?", max_tokens=5, temperature=0, stop=[" END"]),
                               chat(CHAT_FT, "Refund, please", max_tokens=5, temperature=0, stop=[" END"]),
                               chat(CHAT_FT, "Cancel my plan", max_tokens=5, stream=True)]
