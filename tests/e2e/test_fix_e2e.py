"""The proof: a legacy program and its migrated copy do the same thing.

The legacy program runs with the real ``openai==0.27.10`` (a v1-client program:
``openai==1.3.0``) against a fake of the 2023 API; ``ft-migrate fix`` rewrites a
copy; the copy runs with the real ``openai==0.28.1`` (v1: ``openai==1.3.0``)
against a fake of today's API (where the legacy endpoints
answer 404 and the GPT-3 models ``model_not_found``).  Both must exit 0 and print
the same output, and the requests the migrated copy sends must be exactly the
translation of the legacy ones: same order, paths through the catalog's endpoint
mapping, bodies through its request-field mapping.  The client virtualenvs are
built by ``tests.support.venvs`` (cached under ``.cache/venvs``).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.catalog import load_catalog
from migrator.data.conventions import split_ending
from migrator.fix.cli import fix
from tests.fakes.api_2023 import API2023
from tests.fakes.openai_today import TodayAPI
from tests.fakes.server import FakeServer, RecordedRequest
from tests.support.venvs import client_venv

PROGRAMS = Path(__file__).parent / "programs"
CAT = load_catalog()
ID_RE = re.compile(r"\b(?:ftjob|ft)-\d{6}\b")


def _run(version: str, script: Path, api) -> tuple[str, list[RecordedRequest]]:
    api.add_file("train.jsonl", b'{"prompt": "a ->", "completion": " b\\n"}\n')
    with FakeServer(api) as server:
        venv = client_venv(version)
        code = f"import sys; sys.argv = [{str(script)!r}, {server.base_url!r}]; exec(open(sys.argv[0]).read())"
        proc = venv.run_python(code, timeout=120, cwd=script.parent)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout, list(server.requests)


def _normalise(requests: list[RecordedRequest]) -> list[tuple[str, str, object]]:
    """(method, path, body) with job ids replaced by their order of appearance."""
    names: dict[str, str] = {}

    def name(m: re.Match[str]) -> str:
        return names.setdefault(m.group(0), f"JOB{len(names) + 1}")

    return [(r.method, ID_RE.sub(name, r.path), r.json) for r in requests]


def _translate(method: str, path: str, body: object) -> tuple[str, str, object]:
    """What the jobs API expects for one legacy request, from the catalog alone."""
    ep = CAT.endpoint(path, method)
    if ep is not None and ep.replacement:
        path = ep.translate(path)
    if isinstance(body, dict):
        fields = CAT.request_fields
        out: dict = {}
        if method == "POST" and ep is not None and ep.legacy == "/v1/fine-tunes" and "model" not in body:
            body = {"model": fields["default_model"], **body}  # the legacy default, now required
        for key, value in body.items():
            if key in fields["dropped"]:
                continue
            if key in fields["into_hyperparameters"]:
                out.setdefault("hyperparameters", {})[key] = value
            elif key == "model" and CAT.legacy_model(value):
                out[key] = CAT.legacy_model(value).replacement
            else:
                out[key] = value
        body = out
    return method, path, body


V0 = ("0.27.10", "0.28.1")  # the SDK a legacy program ran on, the one its migration needs
V1 = ("1.3.0", "1.3.0")


@pytest.mark.parametrize("program,versions", [
    ("v0_sync.py", V0),
    ("v0_async.py", V0),
    ("class_wrapper.py", V0),
    ("kwargs_dict.py", V0),
    ("kwargs_update.py", V0),
    ("raw_requests.py", V0),
    ("v1_client.py", V1),
])
def test_migrated_program_behaves_the_same(program: str, versions: tuple[str, str], tmp_path: Path) -> None:
    before, after = versions
    legacy = PROGRAMS / program
    legacy_out, legacy_requests = _run(before, legacy, API2023())

    copy = tmp_path / program
    shutil.copy(legacy, copy)
    result = CliRunner().invoke(fix, [str(copy)], catch_exceptions=False)
    assert result.exit_code == 1, result.stderr
    new_out, new_requests = _run(after, copy, TodayAPI())

    assert new_out == legacy_out
    expected = []
    for method, path, body in _normalise(legacy_requests):
        engine = re.fullmatch(r"/v1/engines/([^/]+)/completions", path)
        if engine:  # the engine moves into the body as the (replaced) model
            body = {"model": CAT.legacy_model(engine.group(1)).replacement, **body}
            path = "/v1/completions"
        expected.append(_translate(method, path, body))
    assert _normalise(new_requests) == expected


@pytest.mark.parametrize("program,versions,model", [
    ("completions_v0.py", V0, "text-davinci-003"),
    ("completions_v1.py", V1, "text-davinci-003"),
])
def test_completions_moved_to_chat_behave_the_same(program: str, versions: tuple[str, str], model: str,
                                                   tmp_path: Path) -> None:
    """As of 2026-11-28 no completion model is left: the migrated copy asks chat completions,
    on a fake of that day's API that serves chat models only, with the prompt's separator
    stripped as ``data convert --to chat`` strips it from the training prompts."""
    before, after = versions
    legacy = PROGRAMS / program
    legacy_out, legacy_requests = _run(before, legacy, API2023())
    assert [r.json["prompt"] for r in legacy_requests if r.json and "prompt" in r.json]

    copy = tmp_path / program
    shutil.copy(legacy, copy)
    result = CliRunner().invoke(fix, [str(copy), "--as-of", "2026-11-28"], catch_exceptions=False)
    assert result.exit_code == 1, result.stderr
    today = TodayAPI(as_of=dt.date(2026, 11, 28))
    assert model not in today.models  # the legacy program cannot run there as it is
    new_out, new_requests = _run(after, copy, today)

    assert new_out == legacy_out
    separators = CAT.data["separators"]
    expected = []
    for r in legacy_requests:
        body = {k: v for k, v in r.json.items() if k not in ("prompt", "model")}
        content = split_ending(r.json["prompt"], separators)[0]
        expected.append(("POST", "/v1/chat/completions", {
            "model": "gpt-4.1-mini", "messages": [{"role": "user", "content": content}], **body}))
    assert [(r.method, r.path, r.json) for r in new_requests] == expected
