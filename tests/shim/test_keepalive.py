"""Which keep-alive a quiet event stream can send, measured against the real old clients.

The legacy API sent only ``data:`` lines, and code was written against exactly that:
the openai-node v3 stream snippet copied into countless projects splits the body on
newlines, drops blank lines, strips ``data: `` and ``JSON.parse``s the rest.  A
``: keepalive`` comment is valid SSE, and the Python SDKs skip it, but that snippet
throws on it.  Each client reads a stream that stays quiet for longer than its read
timeout, once per keep-alive form; the table it produces is printed and asserted.
Only the blank line (the default) works with all of them.
"""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import subprocess
import textwrap

import pytest

from tests.fakes import FakeResponse, RecordedRequest
from tests.support.venvs import client_env

FORMS = ("blank-line", "comment", "none")
QUIET_POLLS = 8  # polls answered "running", with no new event
POLL = 0.1  # seconds between polls; a keep-alive after each quiet poll
READ_TIMEOUT = 0.45  # each client's socket read timeout: shorter than the quiet stretch (~0.8 s)
EVENTS = 7  # the job's whole history once it succeeded

PYTHON_V0 = """
    import json, sys, openai
    openai.api_requestor.TIMEOUT_SECS = %(timeout)r  # read at call time
    out = {}
    for form, base, jid in %(cases)r:
        openai.api_base = base
        try:
            out[form] = "ok %%d" %% len([e.message for e in openai.FineTune.stream_events(jid)])
        except Exception as e:
            out[form] = type(e).__name__
    print(json.dumps(out))
"""

PYTHON_V1 = """
    import json, openai
    out = {}
    for form, base, jid in %(cases)r:
        client = openai.OpenAI(base_url=base, max_retries=0, timeout=%(timeout)r)
        try:
            out[form] = "ok %%d" %% len([e.message for e in client.fine_tunes.list_events(jid, stream=True)])
        except Exception as e:
            out[form] = type(e).__name__
    print(json.dumps(out))
"""

# The snippet of openai-node v3 (createCompletion with responseType: "stream"), on node's http.
NODE_V3_SNIPPET = """
    const http = require("http");
    const [url, timeout] = process.argv.slice(1);
    process.on("uncaughtException", (e) => { console.log(JSON.stringify(e.name)); process.exit(0); });
    const messages = [];
    const req = http.get(url, { headers: { Authorization: "Bearer sk-test" } }, (res) => {
      res.on("data", (data) => {
        const lines = data.toString().split("\\n").filter((line) => line.trim() !== "");
        for (const line of lines) {
          const message = line.replace(/^data: /, "");
          if (message === "[DONE]") {
            console.log(JSON.stringify("ok " + messages.length));
            process.exit(0);
          }
          const parsed = JSON.parse(message);
          messages.push(parsed.message);
        }
      });
    });
    req.setTimeout(Number(timeout) * 1000, () => { console.log(JSON.stringify("TimeoutError")); process.exit(0); });
"""


def _quiet_job(today) -> str:
    """A job whose next QUIET_POLLS retrieves say "running" with nothing new, then it proceeds."""
    fid = today.api.add_file("t.jsonl", b"{}\n")["id"]
    body = json.dumps({"training_file": fid, "model": "davinci-002"}).encode()
    job = json.loads(today.api(RecordedRequest("POST", "/v1/fine_tuning/jobs", {"authorization": "Bearer x"},
                                               body)).body)
    today.script(FakeResponse.json({**job, "status": "running"}), method="GET",
                 path=f"/v1/fine_tuning/jobs/{job['id']}", times=QUIET_POLLS)
    return job["id"]


def _run(argv: list[str]) -> str:
    proc = subprocess.run(argv, env=client_env({"OPENAI_API_KEY": "sk-test"}), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_keepalive_forms_against_the_real_old_clients(today, shim_at, v0_venvs, v1_venv):
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the openai-node snippet cannot be run")
    shims = {form: shim_at(today.url, poll_interval=POLL, keepalive_interval=POLL, keepalive=form)
             for form in FORMS}
    clients = {"openai 0.27.10": v0_venvs["0.27.10"], "openai 0.28.1": v0_venvs["0.28.1"], "openai 1.3.0": v1_venv}
    runs = {}
    for name, venv in clients.items():
        cases = [(form, shims[form] + "/v1", _quiet_job(today)) for form in FORMS]
        code = PYTHON_V1 if name.endswith("1.3.0") else PYTHON_V0
        runs[name] = [str(venv.python), "-c", textwrap.dedent(code % {"cases": cases, "timeout": READ_TIMEOUT})]
    for form in FORMS:
        url = f"{shims[form]}/v1/fine-tunes/{_quiet_job(today)}/events?stream=true"
        runs[f"openai-node v3 snippet/{form}"] = ["node", "-e", textwrap.dedent(NODE_V3_SNIPPET), url,
                                                  str(READ_TIMEOUT)]
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        outputs = dict(zip(runs, pool.map(_run, runs.values())))
    table = {name: json.loads(out) for name, out in outputs.items() if "/" not in name}
    table["openai-node v3 snippet"] = {form: json.loads(outputs[f"openai-node v3 snippet/{form}"])
                                       for form in FORMS}
    print("\nkeep-alive form vs client (quiet stream longer than the read timeout):")
    for name, row in table.items():
        print(f"  {name:24} " + "  ".join(f"{form}={row[form]}" for form in FORMS))
    ok = f"ok {EVENTS}"
    assert table == {
        # v0 times out without keep-alives; 1.3.0 reads event streams with a 86,400 s timeout
        "openai 0.27.10": {"blank-line": ok, "comment": ok, "none": "ConnectionError"},
        "openai 0.28.1": {"blank-line": ok, "comment": ok, "none": "ConnectionError"},
        "openai 1.3.0": {"blank-line": ok, "comment": ok, "none": ok},
        "openai-node v3 snippet": {"blank-line": ok, "comment": "SyntaxError", "none": "TimeoutError"},
    }
