"""The client-venv cache: a half-built or stale venv is never reused (no network needed here)."""

from __future__ import annotations

import json

from tests.support.venvs import MARKER, _marker, _valid


def test_only_a_complete_build_for_the_same_requirements_is_valid(tmp_path):
    target = tmp_path / "openai-1.3.0"
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "python").write_text("")
    want = _marker("1.3.0")
    assert not _valid(target, want)  # interrupted: no marker yet
    (target / MARKER).write_text(json.dumps({**want, "requirements": ["openai==1.3.0"]}))
    assert not _valid(target, want)  # built from other requirements
    (target / MARKER).write_text(json.dumps(want))
    assert _valid(target, want)
    (target / "bin" / "python").unlink()
    assert not _valid(target, want)
