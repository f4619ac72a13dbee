"""Scan findings for the sites fix now rewrites: event streams in loops, ``self.<attr>``
aliases of the resource, raw-HTTP response fields; exact positions and fixable flags."""

from __future__ import annotations

import textwrap

from migrator.catalog import load_catalog
from migrator.scan.python import scan_python

CAT = load_catalog()
LOOP = ("calls the legacy /v1/fine-tunes endpoint, shut down on 2024-01-04 (stream has no equivalent: "
        "fix loops over a generated helper that polls list_events instead)")


def scan(src: str) -> list[tuple]:
    """(line, column, end_column, rule, legacy, replacement, fixable) per finding."""
    found = scan_python(textwrap.dedent(src), "m.py", CAT)
    return [(f.line, f.column, f.end_column, f.rule, f.legacy, f.replacement, f.fixable) for f in found]


def test_a_loop_over_an_event_stream_is_fixable_other_streams_are_not():
    src = """
        import openai
        from openai import FineTune as FT
        for event in openai.FineTune.stream_events(job_id):
            print(event)
        names = [e["message"] for e in FT.list_events(id=job_id, stream=True)]
        stream = openai.FineTune.stream_events(job_id)
        for event in openai.FineTune.stream_events(job_id, api_key=key):
            print(event)
    """
    assert scan(src) == [
        (4, 14, 51, "FT010", "openai.FineTune.stream_events", "_ft_migrate_follow_events", True),
        (6, 32, 70, "FT010", "openai.FineTune.list_events", "_ft_migrate_follow_events", True),
        (7, 10, 47, "FT010", "openai.FineTune.stream_events", None, False),
        (8, 14, 64, "FT010", "openai.FineTune.stream_events", None, False),
    ]
    message = scan_python(textwrap.dedent(src), "m.py", CAT)[0].message
    assert message == f"openai.FineTune.stream_events {LOOP}"


def test_a_v1_stream_in_a_loop_is_fixable_when_its_client_is_named():
    assert scan("""
        from openai import OpenAI
        client = OpenAI()
        for event in client.fine_tunes.list_events(job_id, stream=True):
            print(event.message)
        for event in OpenAI().fine_tunes.list_events(job_id, stream=True):
            print(event.message)
    """) == [
        (4, 14, 64, "FT011", "client.fine_tunes.list_events", "_ft_migrate_follow_events", True),
        (6, 14, 66, "FT011", "client.fine_tunes.list_events", "client.fine_tuning.jobs.list_events", False),
    ]


def test_the_resource_kept_on_self_is_followed():
    assert scan("""
        import openai
        class Tuner:
            def __init__(self):
                self.ft = openai.FineTune
            def start(self, path):
                return self.ft.create(training_file=path, model="babbage-002")
    """) == [
        (5, 19, 34, "FT012", "openai.FineTune", "openai.FineTuningJob", True),
        (7, 16, 71, "FT010", "openai.FineTune.create", "openai.FineTuningJob.create", True),
    ]


def test_an_attribute_of_self_bound_twice_is_not_followed():
    assert scan("""
        import openai
        class Tuner:
            def __init__(self):
                self.ft = openai.FineTune
            def swap(self, other):
                self.ft = other
            def start(self, path):
                return self.ft.create(training_file=path, model="babbage-002")
    """) == [(5, 19, 34, "FT012", "openai.FineTune", "openai.FineTuningJob", True)]


def test_fields_of_a_raw_http_answer_are_fixable():
    assert scan("""
        import requests
        r = requests.get(f"{BASE}/v1/fine-tunes/{job_id}")
        print(r.json()["hyperparams"]["n_epochs"], r.json()["training_files"])
    """) == [
        (3, 26, 50, "FT001", "/v1/fine-tunes/{id}", "/v1/fine_tuning/jobs/{id}", True),
        (4, 7, 30, "FT030", "hyperparams", "hyperparameters", True),
        (4, 44, 70, "FT030", "training_files", "training_file", False),  # a whole list: fix marks it
    ]


def test_an_attribute_of_a_call_result_is_not_a_resource_reference():
    assert scan("""
        from openai import FineTune as FT
        for item in FT.list().data:
            print(item.id)
    """) == [(3, 13, 22, "FT010", "openai.FineTune.list", "openai.FineTuningJob.list", True)]
