"""Each file fix looks at ends in one typed result: Changed, Unchanged, Skipped or Failed."""

from __future__ import annotations

import datetime as dt
import os

from migrator.fix.runner import Changed, Failed, Options, Skipped, fix_paths, write_fixed

LEGACY = b'import openai\n\nopenai.FineTune.create(training_file="file-abc", model="curie")\n'


def test_each_file_has_the_result_of_its_kind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legacy.py").write_bytes(LEGACY)
    (tmp_path / "current.py").write_bytes(b'import openai\n\n# openai.FineTune was shut down\n')
    (tmp_path / "broken.py").write_bytes(b'import openai\nopenai.FineTune.list() +\n')
    (tmp_path / "latin.py").write_bytes(b'import openai\nopenai.FineTune.list()  # caf\xe9\n')
    # a tab block holding a line indented with spaces: Python reads it, LibCST does not
    (tmp_path / "tabs.py").write_bytes(b'import openai\nif True:\n\tif True:\n            openai.FineTune.list()\n')
    result = fix_paths(["."], Options(as_of=dt.date(2023, 12, 1)), jobs=1)
    kinds = {f.shown: (type(f).__name__, f.reason) for f in result.files}
    assert kinds == {
        "broken.py": ("Skipped", "line 2: does not parse as Python 3 (parser error: error at 3:0: expected one of "
                                 "+, -, ..., AWAIT, False, NAME, NUMBER, None, True, ~); left alone"),
        "current.py": ("Unchanged", ""),
        "latin.py": ("Skipped", "line 2: not valid utf-8 (invalid continuation byte); left alone"),
        "legacy.py": ("Changed", ""),
        "tabs.py": ("Skipped", "line 1: Python reads it, LibCST does not (tokenizer error: no matching outer block "
                               "for dedent); left alone"),
    }
    assert [f.shown for f in result.of(Skipped, Failed)] == ["broken.py", "latin.py", "tabs.py"]
    changed = result.of(Changed)[0]
    assert changed.sites == 1 and b"FineTuningJob.create" in changed.new and changed.old == LEGACY


def test_a_file_that_cannot_be_written_is_skipped_with_nothing_migrated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legacy.py").write_bytes(LEGACY)
    changed = fix_paths(["."], Options(as_of=dt.date(2023, 12, 1)), jobs=1).of(Changed)[0]
    os.chmod("legacy.py", 0o444)
    after = write_fixed(changed)
    assert isinstance(after, Skipped)
    assert (after.reason, after.sites, after.new) == ("is read-only (mode 0444); left alone", 0, LEGACY)
    assert (tmp_path / "legacy.py").read_bytes() == LEGACY


def test_a_written_file_stays_changed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "legacy.py").write_bytes(LEGACY)
    changed = fix_paths(["."], Options(as_of=dt.date(2023, 12, 1)), jobs=1).of(Changed)[0]
    assert write_fixed(changed) is changed
    assert (tmp_path / "legacy.py").read_bytes() == changed.new
