"""The translation core, with canned upstream replies: exact requests out, exact legacy JSON back."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.catalog import load_catalog
from migrator.shim.config import ShimConfig
from migrator.shim.mapping import MappingError
from migrator.shim.protocol import Forward, Reply, StreamEnd, UpstreamFailure
from migrator.shim.translate import Shim, normalize_path

from .helpers import drive, reply, request

FILE_A = {"object": "file", "id": "file-a", "purpose": "fine-tune", "filename": "train.jsonl", "bytes": 120,
          "created_at": 1690000000, "status": "processed", "status_details": None}
FILE_R = {"object": "file", "id": "file-r", "purpose": "fine-tune-results", "filename": "step_metrics.csv",
          "bytes": 40, "created_at": 1690000300, "status": "processed", "status_details": None}
JOB = {"object": "fine_tuning.job", "id": "ftjob-1", "model": "davinci-002", "created_at": 1690000100,
       "finished_at": None, "fine_tuned_model": None, "organization_id": "org-x", "result_files": [],
       "status": "validating_files", "validation_file": None, "training_file": "file-a",
       "hyperparameters": {"n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": "auto"},
       "trained_tokens": None, "error": None}
EV1 = {"object": "fine_tuning.job.event", "id": "ev-1", "created_at": 1690000101, "level": "info",
       "message": "Created fine-tuning job: ftjob-1", "data": None, "type": "message"}
EV2 = {"object": "fine_tuning.job.event", "id": "ev-2", "created_at": 1690000102, "level": "info",
       "message": "Validating training file: file-a", "data": None, "type": "message"}
EV3 = {"object": "fine_tuning.job.event", "id": "ev-3", "created_at": 1690000103, "level": "info",
       "message": "Fine-tuning job started", "data": None, "type": "message"}


def legacy_event(ev):
    return {"object": "fine-tune-event", "created_at": ev["created_at"], "level": ev["level"], "message": ev["message"]}


@pytest.fixture
def shim():
    return Shim(ShimConfig(upstream="http://up.test", poll_interval=5, keepalive_interval=15), load_catalog())


def table(routes):
    """An upstream that answers from ``{(METHOD, target): reply}``; anything else is a test failure."""
    def answer(up):
        key = (up.method, up.path + ("?" + up.query if up.query else ""))
        assert key in routes, f"unexpected upstream call {key}"
        value = routes[key]
        return value.pop(0) if isinstance(value, list) else value
    return answer


def events_page(*events, has_more=False):
    return reply({"object": "list", "data": list(events), "has_more": has_more})


LEGACY_JOB = {
    "object": "fine-tune", "id": "ftjob-1",
    "hyperparams": {"n_epochs": 2, "batch_size": None, "learning_rate_multiplier": None, "prompt_loss_weight": 0.01},
    "organization_id": "org-x", "model": "davinci-002", "training_files": [FILE_A], "validation_files": [],
    "result_files": [], "created_at": 1690000100, "updated_at": 1690000100, "status": "pending",
    "fine_tuned_model": None,
    "events": [legacy_event(EV1), legacy_event(EV2)],
    "finished_at": None, "trained_tokens": None, "error": None,
}


def test_create_flat_form_v0(shim):
    body = {"training_file": "file-a", "model": "curie", "n_epochs": 2, "batch_size": 4,
            "learning_rate_multiplier": 0.1, "prompt_loss_weight": 0.01, "compute_classification_metrics": True,
            "classification_n_classes": 2, "suffix": "x", "request_timeout": 5, "validation_file": None}
    run = drive(shim, request("POST", "/v1/fine-tunes", body), table({
        ("POST", "/v1/fine_tuning/jobs"): reply(JOB),
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): events_page(EV2, EV1),
        ("GET", "/v1/files/file-a"): reply(FILE_A),
    }))
    sent = run.upstream[0]
    assert json.loads(sent.body) == {"training_file": "file-a", "model": "davinci-002", "suffix": "x",
                                     "hyperparameters": {"n_epochs": 2, "batch_size": 4,
                                                         "learning_rate_multiplier": 0.1}}
    assert ("content-type", "application/json") in sent.headers
    assert ("authorization", "Bearer sk-test") in sent.headers
    assert run.outcome.status == 200
    # the dropped prompt_loss_weight is null: showing any number would claim it applies
    assert run.json == {**LEGACY_JOB, "hyperparams": {**LEGACY_JOB["hyperparams"], "prompt_loss_weight": None}}
    assert run.header("warning") == (
        '299 ft-migrate-shim "dropped (no equivalent): prompt_loss_weight, compute_classification_metrics, '
        'classification_n_classes; model curie -> davinci-002; ignored unknown fields: request_timeout"')


def test_create_hyperparameters_form_default_model_and_epochs(shim):
    """openai 1.3.0 nests n_epochs; an omitted model is curie, omitted epochs the legacy 4."""
    run = drive(shim, request("POST", "/v1/fine-tunes", {"training_file": "file-a", "suffix": "a" * 30}),
                table({("POST", "/v1/fine_tuning/jobs"): reply(JOB),
                       ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): events_page(),
                       ("GET", "/v1/files/file-a"): reply(FILE_A)}))
    assert json.loads(run.upstream[0].body) == {"training_file": "file-a", "suffix": "a" * 18,
                                                "model": "davinci-002", "hyperparameters": {"n_epochs": 4}}
    run = drive(shim, request("POST", "/v1/fine-tunes", {"training_file": "file-a", "model": "ada",
                                                         "hyperparameters": {"n_epochs": 3}}),
                table({("POST", "/v1/fine_tuning/jobs"): reply(JOB),
                       ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): events_page(),
                       ("GET", "/v1/files/file-a"): reply(FILE_A)}))
    assert json.loads(run.upstream[0].body) == {"training_file": "file-a", "model": "babbage-002",
                                                "hyperparameters": {"n_epochs": 3}}


def test_create_strict_rejects_dropped_fields():
    shim = Shim(ShimConfig(upstream="http://up.test", strict=True), load_catalog())
    run = drive(shim, request("POST", "/v1/fine-tunes", {"training_file": "f", "prompt_loss_weight": 0.1}),
                table({}))
    assert run.upstream == []
    assert run.outcome.status == 400
    assert run.json == {"error": {
        "message": "prompt_loss_weight: no equivalent in the fine-tuning jobs API (the fine-tuning jobs API has no "
                   "prompt loss weight and no classification metrics); the shim runs with --strict.",
        "type": "invalid_request_error", "param": "prompt_loss_weight", "code": None}}


@pytest.mark.parametrize("raw, message", [
    (b"{not json", "We could not parse the JSON body of your request: "
                   "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"[1]", "The request body must be a JSON object."),
    (b"{}", "Missing required parameter: training_file"),
])
def test_create_bad_bodies_are_400(shim, raw, message):
    run = drive(shim, request("POST", "/v1/fine-tunes", raw), table({}))
    assert run.outcome.status == 400
    assert run.json["error"]["message"] == message
    assert run.upstream == []


def test_body_over_the_limit_is_413():
    shim = Shim(ShimConfig(upstream="http://up.test", max_body_bytes=10), load_catalog())
    run = drive(shim, request("POST", "/v1/fine-tunes", {"training_file": "file-abcdefgh"}), table({}))
    assert run.outcome.status == 413
    assert run.json == {"error": {"message": "The request body is larger than the shim's limit of 10 bytes.",
                                  "type": "invalid_request_error", "param": None, "code": None}}


def test_list_reads_every_page_and_returns_oldest_first(shim):
    newer = {**JOB, "id": "ftjob-2", "training_file": "file-a", "status": "succeeded",
             "result_files": ["file-r"], "finished_at": 1690000400, "fine_tuned_model": "ft:davinci-002:org-x::abc",
             "hyperparameters": {"n_epochs": 2, "batch_size": 1, "learning_rate_multiplier": 2.0}}
    run = drive(shim, request("GET", "/v1/fine-tunes?request_timeout=1"), table({
        ("GET", "/v1/fine_tuning/jobs?limit=100"): reply({"object": "list", "data": [newer], "has_more": True}),
        ("GET", "/v1/fine_tuning/jobs?limit=100&after=ftjob-2"): reply({"object": "list", "data": [JOB],
                                                                        "has_more": False}),
        ("GET", "/v1/files/file-a"): reply(FILE_A),
        ("GET", "/v1/files/file-r"): reply(FILE_R),
    }))
    assert run.calls == [("GET", "/v1/fine_tuning/jobs?limit=100"), ("GET", "/v1/fine_tuning/jobs?limit=100&after=ftjob-2"),
                         ("GET", "/v1/files/file-a"), ("GET", "/v1/files/file-r")]
    first = {k: v for k, v in LEGACY_JOB.items() if k != "events"}
    first["updated_at"] = first["created_at"]  # no events in list items, no finished_at
    second = {**first, "id": "ftjob-2", "status": "succeeded", "result_files": [FILE_R], "updated_at": 1690000400,
              "finished_at": 1690000400, "fine_tuned_model": "ft:davinci-002:org-x::abc",
              "hyperparams": {"n_epochs": 2, "batch_size": 1, "learning_rate_multiplier": 2.0,
                              "prompt_loss_weight": 0.01}}
    assert run.json == {"object": "list", "data": [first, second]}


def test_retrieve_pages_events_newest_first_into_oldest_first(shim):
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-1?foo=1"), table({
        ("GET", "/v1/fine_tuning/jobs/ftjob-1"): reply(JOB),
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): events_page(EV3, EV2, has_more=True),
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100&after=ev-2"): events_page(EV1),
        ("GET", "/v1/files/file-a"): reply(FILE_A),
    }))
    assert [e["message"] for e in run.json["events"]] == [EV1["message"], EV2["message"], EV3["message"]]
    assert run.json["events"][0] == {"object": "fine-tune-event", "created_at": 1690000101, "level": "info",
                                     "message": "Created fine-tuning job: ftjob-1"}
    assert run.json["updated_at"] == 1690000100  # the job's own latest timestamp, as list items show it


def test_missing_file_keeps_its_place(shim):
    run = drive(shim, request("POST", "/v1/fine-tunes/ftjob-1/cancel"), table({
        ("POST", "/v1/fine_tuning/jobs/ftjob-1/cancel"): reply({**JOB, "status": "cancelled"}),
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): events_page(),
        ("GET", "/v1/files/file-a"): reply({"error": {"message": "No such File object: file-a", "type": "x",
                                                      "param": "id", "code": None}}, 404),
    }))
    assert run.json["status"] == "cancelled"
    assert run.json["training_files"] == [{"id": "file-a", "object": "file", "bytes": 0, "created_at": 0,
                                           "filename": "file-a", "purpose": "fine-tune", "status": "error",
                                           "status_details": "not found upstream"}]


def test_events_json_and_capital_true_stream_is_json(shim):
    routes = {("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): events_page(EV2, EV1)}
    for target in ("/v1/fine-tunes/ftjob-1/events", "/v1/fine-tunes/ftjob-1/events?stream=True",
                   "/v1/fine-tunes/ftjob-1/events?stream=false"):
        run = drive(shim, request("GET", target), table(routes))
        assert run.json == {"object": "list", "data": [legacy_event(EV1), legacy_event(EV2)]}


def test_stream_polls_dedupes_keeps_alive_and_ends_with_done(shim):
    running = {**JOB, "status": "running"}
    done = {**JOB, "status": "succeeded"}
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-1/events?stream=true"), table({
        ("GET", "/v1/fine_tuning/jobs/ftjob-1"): [reply(JOB), reply(running), reply(running), reply(running),
                                                   reply(done)],
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): [
            events_page(EV1), events_page(EV2, EV1), events_page(EV2, EV1), events_page(EV2, EV1),
            events_page(EV3, EV2, EV1)],
    }))
    assert run.head.status == 200
    assert run.head.headers == (("content-type", "text/event-stream"), ("cache-control", "no-cache"))
    assert isinstance(run.outcome, StreamEnd)
    assert run.sleeps == [5, 5, 5, 5]
    assert b"".join(run.emitted) == (
        b'data: {"object":"fine-tune-event","created_at":1690000101,"level":"info","message":"Created fine-tuning job: ftjob-1"}\n\n'
        b'data: {"object":"fine-tune-event","created_at":1690000102,"level":"info","message":"Validating training file: file-a"}\n\n'
        b"\n"  # the keep-alive: a blank line, skipped by every parser measured (test_keepalive.py)
        b'data: {"object":"fine-tune-event","created_at":1690000103,"level":"info","message":"Fine-tuning job started"}\n\n'
        b"data: [DONE]\n\n")


@pytest.mark.parametrize("form, sent", [("comment", b": keepalive\n\n"), ("none", b"")])
def test_keepalive_form_is_configurable(form, sent):
    shim = Shim(ShimConfig(upstream="http://up.test", poll_interval=5, keepalive_interval=5, keepalive=form),
                load_catalog())
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-1/events?stream=true"), table({
        ("GET", "/v1/fine_tuning/jobs/ftjob-1"): [reply(JOB), reply({**JOB, "status": "succeeded"})],
        ("GET", "/v1/fine_tuning/jobs/ftjob-1/events?limit=100"): [events_page(EV1), events_page(EV1)]}))
    assert run.emitted == [sse_line(EV1), *([sent] if sent else []), b"data: [DONE]\n\n"]


def sse_line(ev):
    return b"data: " + json.dumps(legacy_event(ev), separators=(",", ":")).encode() + b"\n\n"


def test_stream_errors_before_the_head_are_json_and_after_it_in_band(shim):
    missing = reply({"error": {"message": "Could not find fine tune job: ftjob-9", "type": "invalid_request_error",
                               "param": "fine_tune_id", "code": None}}, 404)
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-9/events?stream=true"),
                table({("GET", "/v1/fine_tuning/jobs/ftjob-9"): missing}))
    assert run.head is None and run.outcome.status == 404
    assert run.json["error"]["message"] == "Could not find fine tune job: ftjob-9"

    def flaky(up):
        if up.path.endswith("/events"):
            return events_page(EV1)
        flaky.n += 1
        return reply(JOB) if flaky.n == 1 else UpstreamFailure("ConnectError: refused", timeout=False)
    flaky.n = 0
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-1/events?stream=true"), flaky)
    assert run.emitted[-1] == (b'data: {"error":{"message":"The upstream API could not be reached: ConnectError: '
                               b'refused","type":"server_error","param":null,"code":null}}\n\n')
    assert isinstance(run.outcome, StreamEnd)


def test_delete_has_no_equivalent(shim):
    run = drive(shim, request("DELETE", "/v1/fine-tunes/ftjob-1"), table({}))
    assert run.outcome.status == 404
    assert run.json == {"error": {
        "message": "Deleting a fine-tune has no equivalent in the fine-tuning jobs API (no equivalent; delete the "
                   "fine-tuned model with DELETE /v1/models/{model}).",
        "type": "invalid_request_error", "param": "fine_tune_id", "code": "unsupported_endpoint"}}


@pytest.mark.parametrize("status, body, ctype, expected", [
    (429, {"error": {"message": "Rate limit", "type": "requests", "param": None, "code": "rate_limit_exceeded"}},
     "application/json", {"message": "Rate limit", "type": "requests", "param": None, "code": "rate_limit_exceeded"}),
    (500, {"error": {"message": "boom"}}, "application/json",
     {"message": "boom", "type": "server_error", "param": None, "code": None}),
    (502, b"<html>Bad gateway</html>", "text/html",
     {"message": "upstream answered HTTP 502 (text/html): <html>Bad gateway</html>", "type": "server_error",
      "param": None, "code": None}),
])
def test_upstream_errors_keep_their_status_in_the_legacy_envelope(shim, status, body, ctype, expected):
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-1"), table({
        ("GET", "/v1/fine_tuning/jobs/ftjob-1"): reply(body, status, (("content-type", ctype),
                                                                     ("openai-processing-ms", "12"),
                                                                     ("x-request-id", "req-1")))}))
    assert run.outcome.status == status
    assert run.json == {"error": expected}
    assert run.outcome.headers == (("content-type", "application/json"), ("x-request-id", "req-1"),
                                   ("openai-processing-ms", "12"))


def test_upstream_2xx_that_is_not_json_is_502(shim):
    run = drive(shim, request("GET", "/v1/fine-tunes/ftjob-1"), table({
        ("GET", "/v1/fine_tuning/jobs/ftjob-1"): reply(b"oops", 200, (("content-type", "text/plain"),))}))
    assert run.outcome.status == 502
    assert run.json["error"]["message"] == "The upstream API answered HTTP 200 with a body that is not JSON."


@pytest.mark.parametrize("timeout, status", [(False, 502), (True, 504)])
def test_unreachable_and_timeout(shim, timeout, status):
    run = drive(shim, request("GET", "/v1/fine-tunes"), lambda up: UpstreamFailure("ReadTimeout", timeout=timeout))
    assert run.outcome.status == status
    assert run.json["error"]["type"] == ("timeout" if timeout else "server_error")


def test_completion_legacy_model_goes_to_its_replacement(shim):
    run = drive(shim, request("POST", "/v1/completions", {"model": "text-davinci-003", "prompt": "hi", "stop": None}),
                table({}))
    fwd = run.outcome
    assert isinstance(fwd, Forward)
    assert (fwd.request.method, fwd.request.path) == ("POST", "/v1/completions")
    assert fwd.request.body == b'{"model":"gpt-3.5-turbo-instruct","prompt":"hi"}'
    assert fwd.status_map == {409: 503}
    assert fwd.headers == (("warning", '299 ft-migrate-shim "model text-davinci-003 -> gpt-3.5-turbo-instruct"'),)


def test_completion_with_a_current_model_is_forwarded_byte_for_byte(shim):
    raw = b'{"model": "gpt-3.5-turbo-instruct", "prompt": "hi", "stop": null}'
    run = drive(shim, request("POST", "/v1/completions", raw), table({}))
    assert run.outcome.request.body == raw and run.outcome.headers == ()


def test_engine_completion_takes_the_engine_and_drops_nulls(shim):
    """The v0 CLI's ``completions.create -e curie`` body: explicit nulls and a null model."""
    body = {"model": None, "prompt": "hi", "n": None, "logprobs": None, "temperature": None, "top_p": None,
            "stop": None, "stream": False, "echo": True}
    run = drive(shim, request("POST", "/v1/engines/curie/completions", body), table({}))
    assert run.outcome.request.path == "/v1/completions"
    assert json.loads(run.outcome.request.body) == {"model": "davinci-002", "prompt": "hi", "stream": False,
                                                    "echo": True}


def test_legacy_fine_tuned_model_needs_a_mapping():
    name = "curie:ft-acmeco-2021-03-03-21-44-20"
    bare = Shim(ShimConfig(upstream="http://up.test"), load_catalog())
    run = drive(bare, request("POST", "/v1/engines/curie%3Aft-acmeco-2021-03-03-21-44-20/completions",
                              {"prompt": "x"}), table({}))
    assert run.outcome.status == 404
    assert run.json["error"]["code"] == "model_not_found"
    assert f"--model-map '{name}=<new ft: model>'" in run.json["error"]["message"]
    mapped = Shim(ShimConfig(upstream="http://up.test", model_map={name: "ft:davinci-002:acme::x1"}), load_catalog())
    run = drive(mapped, request("POST", "/v1/completions", {"model": name, "prompt": "x"}), table({}))
    assert json.loads(run.outcome.request.body) == {"model": "ft:davinci-002:acme::x1", "prompt": "x"}


def test_everything_else_passes_through_with_its_body_streamed(shim):
    run = drive(shim, request("POST", "/v1/files", None, (("content-type", "multipart/form-data; boundary=b"),
                                                          ("content-length", "99"), ("host", "shim"))), table({}))
    assert run.reads == 0  # never buffered
    fwd = run.outcome
    assert fwd.request.stream_client_body and fwd.request.path == "/v1/files"
    assert fwd.request.headers == (("authorization", "Bearer sk-test"), ("content-length", "99"),
                                   ("content-type", "multipart/form-data; boundary=b"))


@pytest.mark.parametrize("raw, path", [
    ("/v1/fine-tunes", "/v1/fine-tunes"),
    ("/v1//fine-tunes", "/v1/fine-tunes"),
    ("/fine-tunes", "/v1/fine-tunes"),
    ("/v1fine-tunes", "/v1/fine-tunes"),
    ("//v1/models", "/v1/models"),
    ("/v1/./models", "/v1/models"),
    ("/v1/fine-tunes/x/../../models", "/v1/models"),
    ("/v1/models/%2e%2E/files", "/v1/files"),
    ("/v1/models/curie%3Aft-x", "/v1/models/curie%3Aft-x"),
    ("/v1/fine-tunes/x/", "/v1/fine-tunes/x/"),
])
def test_normalize_path(raw, path):
    assert normalize_path(raw) == path


@pytest.mark.parametrize("raw", ["/v1/..", "/v1/../v1/models", "/../admin", "/v1/%2e%2e/admin",
                                 "/v1/files/..%2F..%2Fadmin", "/v1/files/..%5c..%5cadmin", "/v10/../admin"])
def test_normalize_path_refuses_dot_segments_that_climb_out(raw):
    """Resolved here, before any check: the HTTP client sending upstream would resolve them after."""
    with pytest.raises(MappingError, match="^Invalid URL "):
        normalize_path(raw)


def test_trailing_slash_still_names_the_job(shim):
    run = drive(shim, request("DELETE", "/fine-tunes/x/"), table({}))
    assert isinstance(run.outcome, Reply) and run.outcome.status == 404
    assert run.json["error"]["code"] == "unsupported_endpoint"


SEGMENTS = ["v1", "", "fine-tunes", "ftjob-1", "events", "cancel", "engines", "curie%3Aft-x", "completions",
            "embeddings", "files", "models", "%zz", "..", "fine_tuning", "jobs"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "get"]),
       segments=st.lists(st.sampled_from(SEGMENTS), max_size=5),
       query=st.sampled_from(["", "stream=true", "stream=True", "stream", "a=%zz&&=", "limit=x"]),
       body=st.one_of(st.binary(max_size=40), st.sampled_from([b"{}", b"[]", b"null", b'{"model": 1}',
                                                               b'{"training_file": "f", "hyperparameters": 3}',
                                                               b'{"training_file": "f", "model": ["x"]}',
                                                               b'{"model": "curie:ft-acmeco-2021-03-03-21-44-20"}'])))
def test_any_client_request_gets_an_answer(shim, method, segments, query, body):
    """Whatever an old client sends, the core answers (reply, forward or stream): never an exception."""
    done = {**JOB, "status": "succeeded"}
    routes = {"/v1/fine_tuning/jobs": reply({"object": "list", "data": [], "has_more": False}),
              "/v1/fine_tuning/jobs/ftjob-1": reply(done), "/v1/fine_tuning/jobs/ftjob-1/cancel": reply(done),
              "/v1/fine_tuning/jobs/ftjob-1/events": events_page(EV1), "/v1/files/file-a": reply(FILE_A)}

    def answer(up):
        if up.method == "POST" and up.path == "/v1/fine_tuning/jobs":
            return reply(JOB)
        return routes.get(up.path, reply({"error": {"message": "nope"}}, 404))

    run = drive(shim, request(method, "/" + "/".join(segments) + ("?" + query if query else ""), body), answer)
    assert isinstance(run.outcome, (Reply, Forward, StreamEnd))


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=8)
JOB_KEYS = st.sampled_from(["id", "status", "hyperparameters", "training_file", "validation_file", "result_files",
                            "created_at", "finished_at", "model", "n_epochs", "data", "has_more"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(job=st.one_of(JSON_VALUES, st.dictionaries(JOB_KEYS, JSON_VALUES, max_size=8).map(
           lambda d: {"id": "ftjob-1", **d})),
       page=st.one_of(JSON_VALUES, st.dictionaries(JOB_KEYS, JSON_VALUES, max_size=3)),
       target=st.sampled_from(["GET /v1/fine-tunes", "GET /v1/fine-tunes/ftjob-1", "POST /v1/fine-tunes/ftjob-1/cancel",
                               "GET /v1/fine-tunes/ftjob-1/events", "GET /v1/fine-tunes/ftjob-1/events?stream=true"]))
def test_any_upstream_200_gets_an_answer_never_a_crash(shim, job, page, target):
    """Whatever shape a 2xx from the upstream has, the client gets a legacy answer (a 502 when
    the shape is unusable), never the shim's own 500."""
    polls = []

    def answer(up):
        if up.path.endswith("/events") or (up.path == "/v1/fine_tuning/jobs" and up.method == "GET"):
            return reply(page if not isinstance(page, dict) else {**page, "has_more": False})
        if up.path.startswith("/v1/files/"):
            return reply(FILE_A)
        polls.append(up)
        return reply(job if len(polls) < 3 else {**JOB, "status": "succeeded"})  # a stream ends
    method, path = target.split(" ")
    run = drive(shim, request(method, path), answer)
    assert isinstance(run.outcome, (Reply, StreamEnd))
    if isinstance(run.outcome, Reply):
        assert run.outcome.status in (200, 502), run.json
