"""Large modules (where dull statements are punched out as holes) get the same rewrite of the
new edges as small ones: the event helper is written once, ``self.<attr>`` bindings stay in view."""

from __future__ import annotations

import datetime as dt

import libcst as cst

from ft_migrate_codemods import gather_codemods
from migrator.catalog import load_catalog
from migrator.fix.transform import transform_python

CAT = load_catalog(as_of=dt.date(2023, 12, 1))
FILLER = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(60))


def both(source: str) -> bytes:
    data = source.encode()
    with_holes = transform_python(data, gather_codemods(), CAT)
    assert with_holes == transform_python(data, gather_codemods(), CAT, holes=False)
    cst.parse_module(with_holes.data)
    assert transform_python(with_holes.data, gather_codemods(), CAT).data == with_holes.data  # idempotent
    return with_holes.data


def test_a_stream_loop_in_a_large_module_gets_one_helper():
    source = ("import openai\n\n\n" + FILLER + "def follow(job_id):\n"
              "    for e in openai.FineTune.stream_events(job_id):\n        print(e)\n\n\n"
              "def again(job_id):\n    return [e for e in openai.FineTune.list_events(job_id, stream=True)]\n")
    out = both(source).decode()
    assert out.count("def _ft_migrate_follow_events(") == 1
    assert "    for e in _ft_migrate_follow_events(openai.FineTuningJob, job_id):\n" in out
    assert "    return [e for e in _ft_migrate_follow_events(openai.FineTuningJob, job_id)]\n" in out


def test_a_helper_already_written_is_seen_in_a_large_module():
    first = both("import openai\n\n\n" + FILLER + "def follow(job_id):\n"
                 "    for e in openai.FineTune.stream_events(job_id):\n        print(e)\n").decode()
    later = first + "\n\ndef more(job_id):\n    for e in openai.FineTune.stream_events(job_id):\n        print(e)\n"
    out = both(later).decode()
    assert out.count("def _ft_migrate_follow_events(") == 1
    assert out.endswith("def more(job_id):\n    for e in _ft_migrate_follow_events(openai.FineTuningJob, job_id):\n"
                        "        print(e)\n")


def test_an_attribute_rebound_in_a_dull_method_is_not_followed_in_a_large_module():
    source = ("import openai\n\n\nclass Tuner:\n    def __init__(self):\n        self.ft = openai.FineTune\n\n"
              + "".join(f"    def dull_{i}(self, x):\n        return x + {i}\n\n" for i in range(60))
              + "    def swap(self, other):\n        self.ft = other\n\n"
              "    def start(self, path):\n        return self.ft.create(training_file=path, n_epochs=2)\n")
    out = both(source).decode()
    assert "        return self.ft.create(training_file=path, n_epochs=2)\n" in out  # not known to be legacy
