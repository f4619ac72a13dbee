"""The heart: real old clients, unmodified, in their own venvs, through the shim.

openai 0.27.10 / 0.28.1 (SDK and CLI) and 1.3.0 (``client.fine_tunes.*``) run in
subprocesses against the shim served by uvicorn, in front of a fake of today's
API on 127.0.0.1.  Each test asserts what the client returned or printed and
exactly what reached the upstream.  The venvs are built once (cached under
``.cache/venvs``) by :mod:`tests.support.venvs`.
"""

from __future__ import annotations

import json
import textwrap

import pytest

TRAIN = b'{"prompt":"great ->","completion":" positive\\n"}\n'
LEGACY_FT = "curie:ft-acmeco-2021-03-03-21-44-20"


def run_script(venv, code: str, env: dict[str, str]):
    """Run ``code`` in the client's venv; its last stdout line is the JSON result."""
    proc = venv.run_python(textwrap.dedent(code), env={"TZ": "UTC", **env}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def settled(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``calls`` with each run of file lookups sorted: the shim sends those concurrently."""
    out: list[tuple[str, str]] = []
    run: list[tuple[str, str]] = []
    for call in [*calls, None]:
        if call is not None and call[1].startswith("/v1/files/"):
            run.append(call)
            continue
        out += sorted(run)
        run = []
        if call is not None:
            out.append(call)
    return out


V0_SDK = """
    import io, json, openai
    out = {}
    f = openai.File.create(file=io.BytesIO(%(train)r), purpose="fine-tune")
    out["file"] = [type(f).__name__, f.id, f.filename, f.bytes]
    ft = openai.FineTune.create(training_file=f.id, model="curie", n_epochs=2, prompt_loss_weight=0.01,
                                compute_classification_metrics=True, suffix="sdk", request_timeout=30)
    out["create"] = [type(ft).__name__, ft.id, ft.status, ft.model, ft.hyperparams.n_epochs,
                     ft.training_files[0].id, ft["training_files"][0]["filename"], ft.events[-1].message]
    out["list"] = [[type(x).__name__, x.id, x.status] for x in openai.FineTune.list().data]
    out["retrieve"] = openai.FineTune.retrieve(ft.id).status
    out["events"] = [e.message for e in openai.FineTune.list_events(ft.id).data]
    out["events_stream_True"] = len(openai.FineTune.list_events(ft.id, stream=True).data)
    out["stream"] = [e.message for e in openai.FineTune.stream_events(ft.id)]
    done = openai.FineTune.retrieve(ft.id)
    out["done"] = [done.status, done.fine_tuned_model, done.result_files[0].filename, done.hyperparams.n_epochs]
    c = openai.Completion.create(engine="davinci", prompt="hi")
    out["engine"] = [c.model, c.choices[0].text]
    c = openai.Completion.create(model="text-davinci-003", prompt="hi", max_tokens=5)
    out["legacy_model"] = [c.model, c.choices[0].text]
    c = openai.Completion.create(model=done.fine_tuned_model, prompt="hi")
    out["new_ft"] = c.model
    try:
        openai.Completion.create(model=%(legacy_ft)r, prompt="hi")
    except openai.error.InvalidRequestError as e:
        out["unmapped"] = [type(e).__name__, e.http_status, e.code]
    second = openai.FineTune.create(training_file=f.id)
    out["cancel"] = [openai.FineTune.cancel(second.id).status, second.model]
    try:
        openai.FineTune.delete(second.id)
    except openai.error.InvalidRequestError as e:
        out["delete"] = [type(e).__name__, e.http_status, e.code]
    print(json.dumps(out))
""" % {"train": TRAIN, "legacy_ft": LEGACY_FT}


@pytest.mark.parametrize("version", ["0.27.10", "0.28.1"])
def test_v0_sdk(version, v0_venvs, today, shim_url):
    out = run_script(v0_venvs[version], V0_SDK, {"OPENAI_API_KEY": "sk-test", "OPENAI_API_BASE": shim_url + "/v1"})
    assert out == {
        "file": ["File", "file-000001", "file", len(TRAIN)],
        "create": ["FineTune", "ftjob-000002", "pending", "davinci-002", 2, "file-000001", "file",
                   "Validating training file: file-000001"],
        "list": [["FineTune", "ftjob-000002", "pending"]],
        "retrieve": "pending",
        "events": ["Created fine-tuning job: ftjob-000002", "Validating training file: file-000001",
                   "Files validated, moving job to queued state"],
        "events_stream_True": 3,
        "stream": ["Created fine-tuning job: ftjob-000002", "Validating training file: file-000001",
                   "Files validated, moving job to queued state", "Fine-tuning job started",
                   "Step 1/2: training loss=0.42", "New fine-tuned model created: ft:davinci-002:org-fake:sdk:000002",
                   "The job has successfully completed"],
        "done": ["succeeded", "ft:davinci-002:org-fake:sdk:000002", "step_metrics.csv", 2],
        "engine": ["davinci-002", " echo:hi"],
        "legacy_model": ["gpt-3.5-turbo-instruct", " echo:hi"],
        "new_ft": "ft:davinci-002:org-fake:sdk:000002",
        "unmapped": ["InvalidRequestError", 404, "model_not_found"],
        "cancel": ["cancelled", "davinci-002"],
        "delete": ["InvalidRequestError", 404, "unsupported_endpoint"],
    }
    job, events = "/v1/fine_tuning/jobs/ftjob-000002", "/v1/fine_tuning/jobs/ftjob-000002/events?limit=100"
    assert settled(today.calls()) == [
        ("POST", "/v1/files"),
        ("POST", "/v1/fine_tuning/jobs"), ("GET", events), ("GET", "/v1/files/file-000001"),
        ("GET", "/v1/fine_tuning/jobs?limit=100"), ("GET", "/v1/files/file-000001"),
        ("GET", job), ("GET", events), ("GET", "/v1/files/file-000001"),
        ("GET", events), ("GET", events),
        *[("GET", job), ("GET", events)] * 2,  # the stream: polled until succeeded
        ("GET", job), ("GET", events), ("GET", "/v1/files/file-000001"), ("GET", "/v1/files/file-000008"),
        ("POST", "/v1/completions"), ("POST", "/v1/completions"), ("POST", "/v1/completions"),
        ("POST", "/v1/fine_tuning/jobs"), ("GET", "/v1/fine_tuning/jobs/ftjob-000014/events?limit=100"),
        ("GET", "/v1/files/file-000001"),
        ("POST", "/v1/fine_tuning/jobs/ftjob-000014/cancel"),
        ("GET", "/v1/fine_tuning/jobs/ftjob-000014/events?limit=100"), ("GET", "/v1/files/file-000001"),
    ]
    creates = [r.json for r in today.requests if r.target == "/v1/fine_tuning/jobs"]
    assert creates == [
        {"training_file": "file-000001", "model": "davinci-002", "suffix": "sdk", "hyperparameters": {"n_epochs": 2}},
        {"training_file": "file-000001", "model": "davinci-002", "hyperparameters": {"n_epochs": 4}}]
    completions = [r.json for r in today.requests if r.target == "/v1/completions"]
    assert completions == [{"prompt": "hi", "model": "davinci-002"},
                           {"model": "gpt-3.5-turbo-instruct", "prompt": "hi", "max_tokens": 5},
                           {"model": "ft:davinci-002:org-fake:sdk:000002", "prompt": "hi"}]
    upload = today.requests[0]
    assert upload.multipart["purpose"].data == b"fine-tune" and upload.multipart["file"].data == TRAIN
    assert {r.headers["authorization"] for r in today.requests} == {"Bearer sk-test"}
    assert today.requests[0].headers["user-agent"] == f"OpenAI/v1 PythonBindings/{version}"


def test_v0_cli(v0_venvs, today, shim_url, tmp_path):
    """``openai api fine_tunes.*`` from 0.27.10, each command a fresh process."""
    venv = v0_venvs["0.27.10"]
    fid = today.api.add_file("train.jsonl", TRAIN)["id"]

    def cli(*args: str):
        proc = venv.run_cli(["-b", shim_url + "/v1", "-k", "sk-test", "api", *args], env={"TZ": "UTC"},
                            cwd=tmp_path, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    rc, out, err = cli("fine_tunes.create", "-t", fid, "-m", "curie", "--n_epochs", "2", "--batch_size", "4",
                       "--prompt_loss_weight", "0.01", "--suffix", "My Model", "--no_follow")
    assert rc == 0, err
    created = json.loads(out)
    jid = created["id"]
    assert list(created)[:4] == ["object", "id", "hyperparams", "organization_id"]
    assert (created["object"], created["status"], created["model"], created["hyperparams"]) == (
        "fine-tune", "pending", "davinci-002",
        {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": None, "prompt_loss_weight": None})
    assert today.requests[0].target == f"/v1/files/{fid}"  # the CLI's existence check passes through
    assert today.requests[1].json == {"training_file": fid, "model": "davinci-002", "suffix": "My Model",
                                      "hyperparameters": {"n_epochs": 2, "batch_size": 4}}

    rc, out, err = cli("fine_tunes.follow", "-i", jid)
    assert rc == 0, err
    model = f"ft:davinci-002:org-fake:My Model:{jid[-6:]}"
    assert out == (
        f"[2023-11-14 22:13:22] Created fine-tuning job: {jid}\n"
        f"[2023-11-14 22:13:23] Validating training file: {fid}\n"
        "[2023-11-14 22:13:24] Files validated, moving job to queued state\n"
        "[2023-11-14 22:13:25] Fine-tuning job started\n"
        "[2023-11-14 22:13:26] Step 1/2: training loss=0.42\n"
        f"[2023-11-14 22:13:29] New fine-tuned model created: {model}\n"
        "[2023-11-14 22:13:30] The job has successfully completed\n"
        "\n"
        "Job complete! Status: succeeded 🎉\n"
        "Try out your fine-tuned model:\n\n"
        f"openai api completions.create -m {model} -p <YOUR_PROMPT>\n")

    rc, out, _ = cli("fine_tunes.list")
    assert rc == 0 and [(j["id"], j["status"]) for j in json.loads(out)["data"]] == [(jid, "succeeded")]
    rc, out, _ = cli("fine_tunes.get", "-i", jid)
    got = json.loads(out)
    assert (got["fine_tuned_model"], got["result_files"][0]["filename"]) == (model, "step_metrics.csv")
    rc, out, _ = cli("fine_tunes.events", "-i", jid)
    assert rc == 0 and len(json.loads(out)["data"]) == 7
    rc, out, _ = cli("fine_tunes.results", "-i", jid)
    assert (rc, out) == (0, "step,train_loss\n1,0.42\n\n")  # the CLI prints the bytes and a newline
    rc, out, err = cli("models.delete", "-i", LEGACY_FT)
    assert rc == 1 and f"The model `{LEGACY_FT}` does not exist" in err
    assert today.requests[-1].target == "/v1/models/curie%3Aft-acmeco-2021-03-03-21-44-20"

    today.clear()
    (tmp_path / "local.jsonl").write_bytes(TRAIN)
    rc, out, err = cli("fine_tunes.create", "-t", "local.jsonl", "-m", "ada", "--no_follow")
    assert rc == 0, err
    second = json.loads(out[out.index("{"):])["id"]
    assert out.startswith("Uploaded file from local.jsonl: file-")
    assert [c[1] for c in today.calls()[:3]] == ["/v1/files/local.jsonl", "/v1/files", "/v1/files"]
    rc, out, _ = cli("fine_tunes.cancel", "-i", second)
    assert rc == 0 and json.loads(out)["status"] == "cancelled"
    rc, out, err = cli("fine_tunes.delete", "-i", second)
    assert rc == 1
    assert "Deleting a fine-tune has no equivalent in the fine-tuning jobs API" in err
    assert "(HTTP status code: 404)" in err


V1_SDK = """
    import json, openai
    from openai import OpenAI
    client = OpenAI(max_retries=0, timeout=30)
    out = {}
    f = client.files.create(file=("train.jsonl", %(train)r), purpose="fine-tune")
    ft = client.fine_tunes.create(training_file=f.id, model="babbage", hyperparameters={"n_epochs": 1},
                                  prompt_loss_weight=0.1, suffix="v1")
    out["create"] = [type(ft).__name__, ft.object, ft.status, ft.model, ft.hyperparams.n_epochs,
                     ft.training_files[0].filename, len(ft.events)]
    out["list"] = [[x.id, x.status] for x in client.fine_tunes.list()]
    out["retrieve"] = client.fine_tunes.retrieve(ft.id).status
    out["events"] = [e.message for e in client.fine_tunes.list_events(ft.id).data]
    out["stream"] = [(type(e).__name__, e.message) for e in client.fine_tunes.list_events(ft.id, stream=True)]
    strict = OpenAI(max_retries=0, timeout=30, _strict_response_validation=True)
    done = strict.fine_tunes.retrieve(ft.id)
    out["done"] = [done.status, done.fine_tuned_model, done.hyperparams.batch_size, done.result_files[0].purpose]
    out["completion"] = strict.completions.create(model="ada", prompt="hi").model
    try:
        client.completions.create(model=%(legacy_ft)r, prompt="hi")
    except openai.NotFoundError as e:
        out["unmapped"] = [type(e).__name__, e.status_code, e.code]
    other = client.fine_tunes.create(training_file=f.id)
    out["cancel"] = client.fine_tunes.cancel(other.id).status
    print(json.dumps(out))
""" % {"train": TRAIN, "legacy_ft": LEGACY_FT}


def test_v1_sdk_fine_tunes(v1_venv, today, shim_url):
    out = run_script(v1_venv, V1_SDK, {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": shim_url + "/v1"})
    model = "ft:babbage-002:org-fake:v1:000002"
    assert out == {
        "create": ["FineTune", "fine-tune", "pending", "babbage-002", 1, "train.jsonl", 2],
        "list": [["ftjob-000002", "pending"]],
        "retrieve": "pending",
        "events": ["Created fine-tuning job: ftjob-000002", "Validating training file: file-000001",
                   "Files validated, moving job to queued state"],
        "stream": [["FineTuneEvent", m] for m in (
            "Created fine-tuning job: ftjob-000002", "Validating training file: file-000001",
            "Files validated, moving job to queued state", "Fine-tuning job started",
            "Step 1/1: training loss=0.42", f"New fine-tuned model created: {model}",
            "The job has successfully completed")],
        "done": ["succeeded", model, 1, "fine-tune-results"],
        "completion": "babbage-002",
        "unmapped": ["NotFoundError", 404, "model_not_found"],
        "cancel": "cancelled",
    }
    creates = [r.json for r in today.requests if r.target == "/v1/fine_tuning/jobs"]
    assert creates == [
        {"training_file": "file-000001", "model": "babbage-002", "suffix": "v1", "hyperparameters": {"n_epochs": 1}},
        {"training_file": "file-000001", "model": "davinci-002", "hyperparameters": {"n_epochs": 4}}]
    assert today.requests[0].headers["user-agent"] == "OpenAI/Python 1.3.0"
    assert not any("fine-tunes" in r.target for r in today.requests)


V0_ASYNC = """
    import asyncio, json, openai

    async def main():
        out = {}
        ft = await openai.FineTune.acreate(training_file=%(fid)r, model="davinci", n_epochs=1)
        out["acreate"] = [ft.status, ft.model]
        out["astream"] = [e.message async for e in await openai.FineTune.astream_events(ft.id)]
        other = await openai.FineTune.acreate(training_file=%(fid)r)
        out["acancel"] = (await openai.FineTune.acancel(other.id)).status
        chunks = await openai.Completion.acreate(model="babbage", prompt="one two", stream=True)
        out["astream_completion"] = [c.choices[0].text async for c in chunks]
        return out

    out = asyncio.run(main())
    out["stream_completion"] = [c.choices[0].text for c in openai.Completion.create(
        engine="ada", prompt="three four", stream=True)]
    print(json.dumps(out))
"""


def test_v0_async_sdk_and_streamed_completions(v0_venvs, today, shim_url):
    """aiohttp (``a*`` methods) sends cancel as an empty octet-stream; completions stream through."""
    fid = today.api.add_file("train.jsonl", TRAIN)["id"]
    out = run_script(v0_venvs["0.27.10"], V0_ASYNC % {"fid": fid},
                     {"OPENAI_API_KEY": "sk-test", "OPENAI_API_BASE": shim_url + "/v1"})
    assert out == {
        "acreate": ["pending", "davinci-002"],
        "astream": ["Created fine-tuning job: ftjob-000002", "Validating training file: file-000001",
                    "Files validated, moving job to queued state", "Fine-tuning job started",
                    "Step 1/1: training loss=0.42",
                    "New fine-tuned model created: ft:davinci-002:org-fake::000002",
                    "The job has successfully completed"],
        "acancel": "cancelled",
        "astream_completion": [" echo:one", " two"],
        "stream_completion": [" echo:three", " four"],
    }
    completions = [r.json for r in today.requests if r.target == "/v1/completions"]
    assert completions == [{"model": "babbage-002", "prompt": "one two", "stream": True},
                           {"prompt": "three four", "stream": True, "model": "babbage-002"}]
    cancel = next(r for r in today.requests if r.target.endswith("/cancel"))
    assert cancel.body == b""
