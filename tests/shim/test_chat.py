"""Completions answered by chat completions once no completion model is left (as of 2026-11-28).

The core decides and builds the chat request (exact upstream body, canned replies);
both httpx transports rebuild the answer, whole and streamed, against the fake of
that day's API, which serves chat models only: exact JSON and exact SSE bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest

from migrator.catalog import load_catalog
from migrator.shim import AsyncLegacyTransport, LegacyTransport
from migrator.shim.chat import CHAT_ANSWERS, legacy_chunk, legacy_completion
from migrator.shim.config import ShimConfig
from migrator.shim.protocol import Forward, Reply
from migrator.shim.translate import Shim
from tests.fakes import FakeResponse, FakeServer, TodayAPI

from .helpers import drive, request

DAY = dt.date(2026, 11, 28)
LEGACY_FT = "curie:ft-acmeco-2021-03-03-21-44-20"
CHAT_FT = "ft:gpt-4.1-mini-2025-04-14:org-fake:tickets:abc123"
MOVED = ("'text-davinci-003' was shut down and no completion-format model is left: the call now uses chat "
         "completions (messages=[...]) with 'gpt-4.1-mini' (valid until 2027-01-14, a third-party date, "
         "unconfirmed)")
NO_ECHO = "echo (chat completions do not return the prompt)"


@pytest.fixture(scope="module")
def cat():
    return load_catalog(as_of=DAY)


def shim_for(cat, **settings) -> Shim:
    return Shim(ShimConfig(upstream="http://up.test", model_map={LEGACY_FT: CHAT_FT}, **settings), cat)


def never(up):
    raise AssertionError(f"unexpected upstream call {up}")


def forwarded(cat, body, path="/v1/completions", **settings) -> Forward:
    run = drive(shim_for(cat, **settings), request("POST", path, body), never)
    assert isinstance(run.outcome, Forward), run.outcome
    return run.outcome


def refused(cat, body, **settings) -> tuple[int, dict]:
    run = drive(shim_for(cat, **settings), request("POST", "/v1/completions", body), never)
    assert isinstance(run.outcome, Reply) and run.upstream == []
    return run.outcome.status, json.loads(run.outcome.body)["error"]


# -- which calls move, and the exact chat request ---------------------------------
def test_shut_down_model_goes_to_chat_with_the_separator_stripped(cat):
    fwd = forwarded(cat, {"model": "text-davinci-003", "prompt": "Where is my order?\n\n###\n\n", "max_tokens": 5,
                          "temperature": 0, "stop": ["\n"], "n": 2, "user": "u1", "logit_bias": {"50256": -100},
                          "presence_penalty": 0.5, "frequency_penalty": 0.1, "top_p": 1, "logprobs": None})
    assert (fwd.request.method, fwd.request.path) == ("POST", "/v1/chat/completions")
    assert json.loads(fwd.request.body) == {
        "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Where is my order?"}], "max_tokens": 5,
        "temperature": 0, "stop": ["\n"], "n": 2, "user": "u1", "logit_bias": {"50256": -100},
        "presence_penalty": 0.5, "frequency_penalty": 0.1, "top_p": 1}
    assert dict(fwd.request.headers)["content-type"] == "application/json"
    assert fwd.status_map == {409: 503}
    assert fwd.rewrite is CHAT_ANSWERS
    assert dict(fwd.headers)["warning"] == (
        f'299 ft-migrate-shim "completions -> chat completions, model text-davinci-003 -> gpt-4.1-mini ({MOVED}); '
        "separator '\\\\n\\\\n###\\\\n\\\\n' stripped from the end of the prompt\"")


def test_engine_path_and_cli_nulls(cat):
    """The v0 CLI's body on ``/engines/{e}/completions``: nulls dropped, the engine becomes the model."""
    body = {"model": None, "n": None, "max_tokens": 16, "logprobs": None, "prompt": "hi", "stream": False,
            "temperature": None, "top_p": None, "stop": None, "echo": False}
    fwd = forwarded(cat, body, "/v1/engines/davinci/completions")
    assert fwd.request.path == "/v1/chat/completions"
    assert json.loads(fwd.request.body) == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}],
                                            "max_tokens": 16, "stream": False}
    assert dict(fwd.headers)["warning"].startswith(
        '299 ft-migrate-shim "engine davinci -> /v1/completions; completions -> chat completions, model davinci -> '
        "gpt-4.1-mini ('davinci' was shut down")


@pytest.mark.parametrize("model,sent,note", [
    (LEGACY_FT, CHAT_FT, f"--model-map {LEGACY_FT}={CHAT_FT}"),  # the user's chat fine-tune
    ("davinci-002", "gpt-4.1-mini", None),  # a 2023 replacement, shut down since
    ("gpt-4o", "gpt-4o", "a chat model"),  # a chat model asked on completions
    # a model the catalog does not know: only chat can answer it
    ("my-own-model", "my-own-model", "no completion-format model is left on 2026-11-28"),
])
def test_which_models_go_to_chat(cat, model, sent, note):
    fwd = forwarded(cat, {"model": model, "prompt": "x"})
    assert json.loads(fwd.request.body) == {"model": sent, "messages": [{"role": "user", "content": "x"}]}
    if note is not None:
        target = f"model {model} -> {sent}" if sent != model else f"model {model}"
        warning = f'299 ft-migrate-shim "completions -> chat completions, {target} ({note})"'
        assert dict(fwd.headers)["warning"] == warning


def test_a_prompt_that_is_only_the_separator_is_sent_as_it_is(cat):
    fwd = forwarded(cat, {"model": "davinci", "prompt": "\n\n###\n\n"})
    assert json.loads(fwd.request.body)["messages"] == [{"role": "user", "content": "\n\n###\n\n"}]


def test_nothing_changes_on_the_suites_date():
    """2023-12-01: completion models answer, so completions stay completions."""
    shim = Shim(ShimConfig(upstream="http://up.test"), load_catalog())
    run = drive(shim, request("POST", "/v1/completions", {"model": "text-davinci-003", "prompt": "a\n\n###\n\n",
                                                          "echo": True}), never)
    assert run.outcome.request.path == "/v1/completions" and run.outcome.rewrite is None
    assert json.loads(run.outcome.request.body) == {"model": "gpt-3.5-turbo-instruct", "prompt": "a\n\n###\n\n",
                                                    "echo": True}


def test_alive_completion_model_stays_until_its_shutdown():
    shim = Shim(ShimConfig(upstream="http://up.test"), load_catalog(as_of=dt.date(2026, 9, 1)))
    raw = b'{"model": "davinci-002", "prompt": "x"}'
    run = drive(shim, request("POST", "/v1/completions", raw), never)
    assert (run.outcome.request.path, run.outcome.request.body, run.outcome.rewrite) == ("/v1/completions", raw, None)


# -- refusals: legacy-shaped 400/404, nothing sent upstream --------------------------
def test_fields_with_no_equal_are_refused_by_name(cat):
    status, err = refused(cat, {"model": "text-davinci-003", "prompt": "x", "echo": True, "logprobs": 3,
                                "best_of": 2, "suffix": "end"})
    assert status == 400
    assert err == {
        "message": f"Chat completions have no equal for {NO_ECHO}; logprobs (chat completions take logprobs=True "
                   "with top_logprobs=N and answer in another shape); best_of (chat completions return every "
                   "candidate they generate (n=), none is chosen on the server); suffix (chat completions do not "
                   f"insert text before a suffix), and the shim answers `text-davinci-003` with chat completions "
                   f"({MOVED}). Leave them out, or start the shim with --lenient to drop them.",
        "type": "invalid_request_error", "param": "echo", "code": None}


def test_lenient_drops_them_and_says_so(cat):
    fwd = forwarded(cat, {"model": "text-davinci-003", "prompt": "x", "echo": True, "logprobs": 0}, lenient=True)
    assert json.loads(fwd.request.body) == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "x"}]}
    assert dict(fwd.headers)["warning"] == (f'299 ft-migrate-shim "completions -> chat completions, model '
                                            f'text-davinci-003 -> gpt-4.1-mini ({MOVED}); dropped (no equal in chat '
                                            f'completions): echo, logprobs"')


@pytest.mark.parametrize("body,param,message", [
    ({"prompt": ["a", "b"]}, "prompt", "prompt is a list of 2 prompts: chat completions answer one conversation per "
                                       "call, so one call per prompt would change what comes back; send one prompt "
                                       "per request."),
    ({"prompt": 42}, "prompt", "prompt must be a string or a list, not a number."),
    ({"prompt": {"text": "x"}}, "prompt", "prompt must be a string or a list, not an object."),
    ({"prompt": True}, "prompt", "prompt must be a string or a list, not a boolean."),
    ({}, "prompt", "Missing required parameter: prompt (chat completions need the text to answer)."),
    ({"prompt": "x", "n": 3, "stream": True}, "n", "n=3 with stream=true: the shim streams one choice per request "
                                                   "when it answers with chat completions; ask for n=1, or without "
                                                   "stream."),
])
@pytest.mark.parametrize("lenient", [False, True])
def test_bad_input_is_a_clear_400(cat, body, param, message, lenient):
    status, err = refused(cat, {"model": "text-davinci-003", **body}, lenient=lenient)
    assert (status, err) == (400, {"message": message, "type": "invalid_request_error", "param": param, "code": None})


def test_a_dead_fine_tune_without_a_mapping_is_refused_with_what_to_do(cat):
    status, err = refused(cat, {"model": "ft:davinci-002:acme::abc", "prompt": "x"})
    assert status == 404 and (err["param"], err["code"]) == ("model", "model_not_found")
    assert err["message"].startswith("The model `ft:davinci-002:acme::abc` is a fine-tune of davinci-002, shut down "
                                     "on 2026-09-28, and the shim has no mapping for it: re-train it on gpt-4.1-mini")
    assert err["message"].endswith("then start the shim with --model-map 'ft:davinci-002:acme::abc=<new ft: model>'.")
    status, err = refused(cat, {"model": "curie:ft-other-2022-01-01-00-00-00", "prompt": "x"})
    assert (status, err["code"]) == (404, "model_not_found")
    assert "--model-map 'curie:ft-other-2022-01-01-00-00-00=<new ft: model>'" in err["message"]


# -- the answers, rebuilt ---------------------------------------------------------
CHAT = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4.1-mini-2025-04-14",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "positive"}, "finish_reason": "stop"},
                    {"index": 1, "message": {"role": "assistant", "content": None, "refusal": "no"},
                     "finish_reason": "stop"},
                    {"index": 2, "message": {"role": "assistant", "content": None}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12,
                  "completion_tokens_details": {"reasoning_tokens": 0}}}


def test_whole_answer_is_a_text_completion():
    assert legacy_completion(CHAT) == {
        "id": "chatcmpl-1", "object": "text_completion", "created": 1700000000, "model": "gpt-4.1-mini-2025-04-14",
        "choices": [{"text": "positive", "index": 0, "logprobs": None, "finish_reason": "stop"},
                    {"text": "no", "index": 1, "logprobs": None, "finish_reason": "stop"},
                    {"text": "", "index": 2, "logprobs": None, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}}
    for not_chat in ([], {"choices": "x"}, {"choices": [1]}, "text"):
        assert legacy_completion(not_chat) is None


def test_stream_events_are_legacy_chunks():
    head = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 5, "model": "m"}
    block = b"".join([
        b"data: " + json.dumps({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                     "finish_reason": None}]}).encode() + b"\n\n",
        b": keepalive\n\nevent: ping\nid: 7\nretry: 10\n",
        b"data: " + json.dumps({**head, "choices": [{"index": 0, "delta": {"content": "Hi"},
                                                     "finish_reason": None}]}).encode() + b"\r\n\r\n",
        b"data: " + json.dumps({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode()
        + b"\n\n",
        b"data: " + json.dumps({**head, "choices": [], "usage": {"total_tokens": 3}}).encode() + b"\n\n",
        b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n',
        b"data: not json\n\n",
        b"data: [DONE]\n\n",
    ])
    legacy = {"id": "chatcmpl-2", "object": "text_completion", "created": 5, "model": "m"}
    assert CHAT_ANSWERS.events(block) == b"".join([
        b'data: {"id":"chatcmpl-2","object":"text_completion","created":5,"model":"m","choices":[{"text":"Hi",'
        b'"index":0,"logprobs":null,"finish_reason":null}]}\n\n',
        b'data: {"id":"chatcmpl-2","object":"text_completion","created":5,"model":"m","choices":[{"text":"",'
        b'"index":0,"logprobs":null,"finish_reason":"stop"}]}\n\n',
        b'data: {"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}\n\n',
        b'data: {"error":{"message":"The upstream API sent a stream event that is not a chat completion chunk.",'
        b'"type":"server_error","param":null,"code":null}}\n\n',
        b"data: [DONE]\n\n"])
    assert legacy_chunk({**head, "choices": [{"index": 0, "delta": {"content": "x"}}]}) == {
        **legacy, "choices": [{"text": "x", "index": 0, "logprobs": None, "finish_reason": None}]}


# -- both transports against the fake of 2026-11-28 (chat models only) --------------
@pytest.fixture
def chat_only():
    with FakeServer(TodayAPI(as_of=DAY)) as server:
        yield server


def answered(r: httpx.Response):
    return r.status_code, r.headers.get("content-type"), r.read()


def through_sync(cat, upstream, calls, **settings):
    t = LegacyTransport(catalog=cat, model_map={LEGACY_FT: CHAT_FT}, **settings)
    with httpx.Client(transport=t, base_url=upstream.base_url, headers={"authorization": "Bearer sk-test"}) as c:
        return [answered(c.post(path, json=body)) for path, body in calls]


def through_async(cat, upstream, calls, **settings):
    async def main():
        t = AsyncLegacyTransport(catalog=cat, model_map={LEGACY_FT: CHAT_FT}, **settings)
        async with httpx.AsyncClient(transport=t, base_url=upstream.base_url,
                                     headers={"authorization": "Bearer sk-test"}) as c:
            out = []
            for path, body in calls:
                r = await c.post(path, json=body)
                out.append((r.status_code, r.headers.get("content-type"), await r.aread()))
            return out
    return asyncio.run(main())


CALLS = [("/completions", {"model": LEGACY_FT, "prompt": "Where is my order?\n\n###\n\n", "max_tokens": 1}),
         ("/engines/text-davinci-003/completions", {"prompt": "Cancel my plan", "stream": True}),
         ("/completions", {"model": "no-such-model", "prompt": "x"})]


@pytest.mark.parametrize("through", [through_sync, through_async])
def test_transports_rebuild_the_answers(cat, chat_only, through):
    out = through(cat, chat_only, CALLS)
    assert out[0] == (200, "application/json", (
        b'{"id":"chatcmpl-000001","object":"text_completion","created":1700000000,"model":"' + CHAT_FT.encode()
        + b'","choices":[{"text":"echo:Where is my order?","index":0,"logprobs":null,"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'))
    head = b'data: {"id":"chatcmpl-000002","object":"text_completion","created":1700000000,"model":"gpt-4.1-mini",'
    assert out[1] == (200, "text/event-stream", b"".join([
        head + b'"choices":[{"text":"echo:Cancel","index":0,"logprobs":null,"finish_reason":null}]}\n\n',
        head + b'"choices":[{"text":" my","index":0,"logprobs":null,"finish_reason":null}]}\n\n',
        head + b'"choices":[{"text":" plan","index":0,"logprobs":null,"finish_reason":null}]}\n\n',
        head + b'"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}]}\n\n',
        b"data: [DONE]\n\n"]))
    status, ctype, body = out[2]
    assert (status, ctype) == (404, "application/json")
    assert json.loads(body) == {"error": {"message": "The model `no-such-model` does not exist or you do not have "
                                                     "access to it.", "type": "invalid_request_error", "param": None,
                                          "code": "model_not_found"}}
    assert [(r.method, r.path, r.json) for r in chat_only.requests] == [
        ("POST", "/v1/chat/completions", {"model": CHAT_FT, "messages": [{"role": "user", "content":
                                                                          "Where is my order?"}], "max_tokens": 1}),
        ("POST", "/v1/chat/completions", {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content":
                                                                                 "Cancel my plan"}], "stream": True}),
        ("POST", "/v1/chat/completions", {"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}),
    ]


@pytest.mark.parametrize("through", [through_sync, through_async])
def test_upstream_faults_on_a_translated_call(cat, chat_only, through):
    """A 409 is never passed on (v0 retries it in a hot loop), a 2xx that is no chat
    completion is a 502, a stream cut short ends with an error event old clients raise on."""
    chat_only.script(FakeResponse.error(409, "busy"), path="/v1/chat/completions")
    chat_only.script(FakeResponse.json({"object": "list", "data": []}), path="/v1/chat/completions")
    chat_only.script(FakeResponse(200, b"<html>ok</html>", {"Content-Type": "text/html"}), path="/v1/chat/completions")
    body = {"model": "davinci", "prompt": "x"}
    out = through(cat, chat_only, [("/completions", body)] * 3)
    assert [(s, c, json.loads(b)["error"]["message"]) for s, c, b in out] == [
        (503, "application/json", "busy"),
        (502, "application/json", "The upstream API answered HTTP 200 with a body that is not the answer it was "
                                  "asked for."),
        (502, "application/json", "The upstream API answered HTTP 200 with a body that is not JSON.")]


@pytest.mark.parametrize("through", [through_sync, through_async])
def test_a_stream_cut_short_ends_with_an_error_event(cat, chat_only, through):
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
    cut = FakeResponse(200, [b"data: " + json.dumps(chunk).encode() + b"\n\ndata: {\"id\""],
                       {"Content-Type": "text/event-stream"}, fault="cut")
    chat_only.script(cut, path="/v1/chat/completions")
    [(status, ctype, body)] = through(cat, chat_only, [("/completions", {"model": "davinci", "prompt": "x",
                                                                          "stream": True})])
    assert (status, ctype) == (200, "text/event-stream")
    first, error, rest = body.split(b"\n\n")
    assert first == (b'data: {"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"text":"Hel",'
                     b'"index":0,"logprobs":null,"finish_reason":null}]}')
    assert json.loads(error.removeprefix(b"data: "))["error"]["message"].startswith(
        "The upstream API stopped in the middle of the stream: ")
    assert rest == b""


@pytest.mark.parametrize("through", [through_sync, through_async])
def test_transports_take_lenient(cat, chat_only, through):
    [(status, _, body)] = through(cat, chat_only, [("/completions", {"model": "davinci", "prompt": "x", "echo": True,
                                                                     "best_of": 3})], lenient=True)
    assert (status, json.loads(body)["choices"][0]["text"]) == (200, "echo:x")
    assert chat_only.requests[-1].json == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "x"}]}
