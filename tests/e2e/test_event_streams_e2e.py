"""The proof for FX009: a followed event stream becomes polling that prints the same way.

The legacy program follows its job's event stream with the real ``openai==0.27.10``
(v1 client: ``openai==1.3.0``) against the 2023 fake, which streams the history, then
the job to its end; the migrated copy polls today's fake through the generated helper
with ``openai==0.28.1`` (``1.3.0``).  The two APIs word their events differently, so
each run is held to its own API's event log: every event of the job printed once,
oldest first, the last one the job's final event, and then the lines after the loop.
Sleeping between polls is switched off in the child (today's fake moves a job one
stage further on every retrieve, so no time needs to pass).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.fix.cli import fix
from tests.fakes.api_2023 import API2023
from tests.fakes.openai_today import TodayAPI
from tests.fakes.server import FakeServer, RecordedRequest
from tests.support.venvs import client_venv

PROGRAMS = Path(__file__).parent / "programs"


def _run(version: str, script: Path, api) -> tuple[list[str], list[RecordedRequest]]:
    api.add_file("train.jsonl", b'{"prompt": "a ->", "completion": " b\\n"}\n')
    with FakeServer(api) as server:
        code = ("import sys, time; time.sleep = lambda seconds: None; "
                f"sys.argv = [{str(script)!r}, {server.base_url!r}]; exec(open(sys.argv[0]).read())")
        proc = client_venv(version).run_python(code, timeout=120, cwd=script.parent)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines(), list(server.requests)


def _migrate(program: str, tmp_path: Path, *options: str) -> Path:
    copy = tmp_path / program
    shutil.copy(PROGRAMS / program, copy)
    result = CliRunner().invoke(fix, [*options, str(copy)], catch_exceptions=False)
    assert result.exit_code == 1, result.stderr
    text = copy.read_text()
    assert "stream_events(" not in text and "stream=True" not in text
    assert text.count("def _ft_migrate_follow_events(") == (0 if options else 1)
    again = CliRunner().invoke(fix, [*options, str(copy), "--check"], catch_exceptions=False)
    assert again.exit_code == 0, again.stderr  # nothing left to rewrite: the helper is not added twice
    return copy


class ManyEvents(TodayAPI):
    """Today's API with a long training log: more events than one page of the helper's listing."""

    def advance(self, jid: str) -> None:
        super().advance(jid)
        if self.jobs[jid]["status"] == "running":
            for step in range(1, 251):
                self._event(jid, f"Step {step}/250: training loss=0.42", type="metrics", data={"step": step})


@pytest.mark.parametrize("program,versions,first", [
    ("follow_v0.py", ("0.27.10", "0.28.1"), True),
    ("follow_v1.py", ("1.3.0", "1.3.0"), False),
])
def test_a_followed_stream_prints_every_event_oldest_first_until_the_job_ends(program, versions, first, tmp_path):
    before, after = versions
    legacy_api = API2023()
    legacy_out, _ = _run(before, PROGRAMS / program, legacy_api)
    (job,) = legacy_api.jobs.values()
    messages = [e["message"] for e in job["events"]]
    assert messages[-1] == "Fine-tune succeeded"
    tail = ([f"first {messages[0]}"] if first else []) + ["status succeeded"]
    assert legacy_out == [f"event {m}" for m in messages] + tail

    copy = _migrate(program, tmp_path)
    today = TodayAPI()
    new_out, requests = _run(after, copy, today)
    (jid,) = today.jobs
    messages = [e["message"] for e in today.events[jid]]
    assert messages[-1] == "The job has successfully completed"
    tail = ([f"first {messages[0]}"] if first else []) + ["status succeeded"]
    assert new_out == [f"event {m}" for m in messages] + tail
    assert not [r for r in requests if "fine-tunes" in r.path]


def test_the_helper_pages_back_with_after_through_a_long_log(tmp_path):
    copy = _migrate("follow_v0.py", tmp_path)
    api = ManyEvents()
    out, requests = _run("0.28.1", copy, api)
    (jid,) = api.jobs
    messages = [e["message"] for e in api.events[jid]]
    assert len(messages) > 250
    assert out == [f"event {m}" for m in messages] + [f"first {messages[0]}", "status succeeded"]
    listings = [r for r in requests if r.path.endswith("/events")]
    assert any("after" in r.params for r in listings)  # paged back, not only the newest page
    assert all(r.params.get("limit") == "100" for r in listings)


def test_the_helper_imported_from_the_compat_module_behaves_the_same(tmp_path):
    copy = _migrate("follow_v0.py", tmp_path, "--compat-module")
    assert (tmp_path / "ft_migrate_compat.py").exists()
    today = TodayAPI()
    out, _ = _run("0.28.1", copy, today)
    (jid,) = today.jobs
    messages = [e["message"] for e in today.events[jid]]
    assert out == [f"event {m}" for m in messages] + [f"first {messages[0]}", "status succeeded"]
