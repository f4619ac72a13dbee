"""The LibCST Python scanner: every rule, positive and negative, with exact positions."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from migrator.catalog import load_catalog
from migrator.scan.python import scan_python, scan_python_lines

CAT = load_catalog()


def scan(src: str) -> list[tuple]:
    """(line, column, end_column, rule, legacy, replacement, fixable) per finding."""
    found = scan_python(textwrap.dedent(src), "m.py", CAT)
    return [(f.line, f.column, f.end_column, f.rule, f.legacy, f.replacement, f.fixable) for f in found]


def rules(src: str) -> list[str]:
    return [r[3] for r in scan(src)]


# -- FT010 v0 SDK calls ------------------------------------------------------------------

def test_v0_call_through_module_alias():
    assert scan("""
        import openai as oa
        oa.FineTune.create(training_file="file-1", model="babbage-002")
    """) == [(3, 1, 64, "FT010", "openai.FineTune.create", "openai.FineTuningJob.create", True)]


def test_v0_call_through_from_import_alias_and_async_twin():
    assert scan("""
        from openai import FineTune as FT
        async def main():
            await FT.alist()
    """) == [(4, 11, 21, "FT010", "openai.FineTune.alist", "openai.FineTuningJob.alist", True)]


def test_v0_call_through_a_name_bound_to_the_resource():
    assert scan("""
        import openai
        model = openai.FineTune
        model.retrieve("ft-1")
    """) == [
        (3, 9, 24, "FT012", "openai.FineTune", "openai.FineTuningJob", True),
        (4, 1, 23, "FT010", "openai.FineTune.retrieve", "openai.FineTuningJob.retrieve", True),
    ]


def test_v0_calls_without_equivalent_are_not_fixable():
    assert scan("""
        import openai
        openai.FineTune.stream_events("ft-1")
        openai.FineTune.delete("ft-1")
    """) == [
        (3, 1, 38, "FT010", "openai.FineTune.stream_events", None, False),
        (4, 1, 31, "FT010", "openai.FineTune.delete", None, False),
    ]


def test_create_without_model_names_the_legacy_default():
    [f] = scan_python("import openai\nopenai.FineTune.create(training_file='f')\n", "m.py", CAT)
    assert f.message == (
        "openai.FineTune.create calls the legacy /v1/fine-tunes endpoint, shut down on 2024-01-04; "
        "use openai.FineTuningJob.create (no model given: the legacy default was 'curie'; "
        "the new API needs model='davinci-002')")


def test_migrated_and_unrelated_fine_tune_classes_are_not_findings():
    assert scan("""
        import openai
        from openai.cli import FineTune
        openai.FineTuningJob.create(training_file="f", model="davinci-002")
        FineTune.create(args)
        # openai.FineTune.create(training_file="f")
        class FineTune: ...
    """) == []


# -- FT011 v1 client calls -----------------------------------------------------------------

def test_v1_client_calls_found_even_before_the_client_is_built():
    assert scan("""
        from openai import OpenAI
        def events(client):
            return client.fine_tunes.list_events("ft-1", stream=True)
        client = OpenAI()
        client.fine_tunes.list()
        client.fine_tuning.jobs.list()
    """) == [
        (4, 12, 62, "FT011", "client.fine_tunes.list_events", "client.fine_tuning.jobs.list_events", False),
        (6, 1, 25, "FT011", "client.fine_tunes.list", "client.fine_tuning.jobs.list", True),
    ]


def test_fine_tunes_attribute_without_an_openai_client_is_not_a_finding():
    assert scan("""
        class Store:
            fine_tunes = []
        Store().fine_tunes.list()
    """) == []


# -- FT012 resource references -------------------------------------------------------------

def test_annotation_mock_target_and_dotted_string():
    assert scan("""
        import openai
        from unittest import mock
        def get() -> openai.FineTune: ...
        mock.patch.object(openai.FineTune, "create")
        mock.patch("openai.FineTune.create")
    """) == [
        (4, 14, 29, "FT012", "openai.FineTune", "openai.FineTuningJob", True),
        (5, 19, 34, "FT012", "openai.FineTune", "openai.FineTuningJob", True),
        (6, 12, 36, "FT012", "openai.FineTune.create", "openai.FineTuningJob.create", True),
    ]


# -- FT001 / FT002 endpoints -----------------------------------------------------------------

def test_endpoint_urls_in_strings_and_f_strings():
    assert scan("""
        import requests
        requests.get("https://api.openai.com/v1/fine-tunes")
        requests.post(f"{BASE}/v1/fine-tunes/{job_id}/cancel")
        requests.post(API + "/engines/davinci/completions")
        requests.post("https://api.openai.com/v1/answers")
    """) == [
        (3, 37, 51, "FT001", "/v1/fine-tunes", "/v1/fine_tuning/jobs", True),
        (4, 23, 54, "FT001", "/v1/fine-tunes/{id}/cancel", "/v1/fine_tuning/jobs/{id}/cancel", True),
        (6, 38, 49, "FT002", "/v1/answers", None, False),
    ]


def test_an_endpoint_url_fix_does_not_rewrite_is_work_for_a_person():
    """FX006 rewrites the URL of a requests/httpx/aiohttp call (in a module that imports one),
    written there or bound once to a name the call passes; a URL anywhere else is manual."""
    http = scan("""
        import logging
        import requests
        JOBS = BASE + "/v1/fine-tunes"
        ROUTES = {"create": "/v1/fine-tunes"}
        def create(session, body):
            session.post(JOBS, json=body)
            requests.request("GET", url=f"{BASE}/v1/fine-tunes/{body}")
            logging.info("posted to %s/v1/fine-tunes", BASE)
    """)
    assert [(line, fixable) for line, *_, fixable in http] == [(4, True), (5, False), (8, True), (9, False)]
    no_library = scan("""
        def create(session, body):
            session.post("https://api.openai.com/v1/fine-tunes", json=body)
    """)
    assert [(line, fixable) for line, *_, fixable in no_library] == [(3, False)]
    assert scan_python(textwrap.dedent("""
        import urllib.request
        urllib.request.urlopen("https://api.openai.com/v1/fine-tunes")
    """), "m.py", CAT)[0].message == ("endpoint /v1/fine-tunes was shut down on 2024-01-04; use /v1/fine_tuning/jobs "
                                      "(not the URL of a requests/httpx/aiohttp call here: change it by hand)")


def test_engine_on_an_sdk_call_is_a_gone_route_whatever_the_model():
    """engine= picks a /v1/engines route on the openai<1 resources; fix passes it as model=
    (a chat completions call keeps its arguments; a helper's own engine= parameter stays)."""
    found = scan_python(textwrap.dedent("""
        import openai
        from openai.embeddings_utils import get_embedding
        def run(name, text):
            openai.Completion.create(engine=name, prompt=text)
            openai.Embedding.create(engine="my-embedder", input=[text])
            openai.Completion.create(engine="text-davinci-003", prompt=text)
            openai.ChatCompletion.create(engine=name, messages=[])
            get_embedding(text, engine=name)
    """), "m.py", CAT)
    assert [(f.line, f.rule, f.legacy, f.fixable) for f in found] == [
        (5, "FT002", "/v1/engines/{engine}/completions", True),
        (6, "FT002", "/v1/engines/{engine}/embeddings", True),
        (7, "FT020", "text-davinci-003", True),  # the model finding holds the call
        (8, "FT002", "/v1/engines", False),
    ]
    assert found[0].message == ("engine= sends this call to /v1/engines/{engine}/completions, shut down on "
                                "2022-12-03; pass the engine as model=")


def test_sdk_resources_of_endpoints_with_no_equivalent():
    found = scan_python(textwrap.dedent("""
        import openai
        openai.Answer.create(search_model="ada", question="q", documents=[])
        openai.Classification.create(query="q", examples=[], model="curie")
    """), "m.py", CAT)
    # fix leaves the model of a call that has no equivalent: a new model would not revive it
    assert [(f.line, f.legacy, f.fixable) for f in found if f.rule == "FT020"] == [(3, "ada", False), (4, "curie", False)]
    assert [(f.line, f.column, f.rule, f.legacy, f.fixable, f.message) for f in found if f.rule == "FT002"] == [
        (3, 1, "FT002", "/v1/answers", False, "openai.Answer.create calls /v1/answers, shut down on 2022-12-03; "
                                                "no equivalent; use embeddings retrieval plus /v1/chat/completions"),
        (4, 1, "FT002", "/v1/classifications", False,
         "openai.Classification.create calls /v1/classifications, shut down on 2022-12-03; no equivalent; use "
         "/v1/chat/completions or a fine-tuned classifier"),
    ]


def test_endpoint_words_that_are_not_endpoints():
    assert scan('''
        """Docs mention /v1/fine-tunes but docstrings do not run."""
        url = "https://example.com/v1/searchable"
        path = "/search"
    ''') == []


# -- FT020 / FT021 models -----------------------------------------------------------------------

def test_model_and_engine_arguments_constants_and_defaults():
    assert scan("""
        import openai
        BASE = "curie"
        def complete(prompt, engine_name="text-davinci-003"):
            openai.Completion.create(engine=engine_name, prompt=prompt)
            openai.Completion.create(model=BASE, prompt=prompt)
            openai.Embedding.create(model="text-similarity-ada-001", input=prompt)
    """) == [
        (3, 8, 15, "FT020", "curie", "davinci-002", True),
        (4, 34, 52, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", True),
        (7, 35, 60, "FT020", "text-similarity-ada-001", "text-embedding-ada-002", True),
    ]


def test_config_dict_values_and_subscript_assignment():
    assert scan("""
        import openai
        CONFIG = {"base_model": "ada", "babbage": 3, "name": "babbage-run"}
        params = {}
        params["model"] = "babbage"
    """) == [
        (3, 25, 30, "FT020", "ada", "babbage-002", True),
        (5, 19, 28, "FT020", "babbage", "babbage-002", True),
    ]


def test_exact_model_literal_only_in_modules_that_use_openai():
    src = """
        {imp}
        CANDIDATES = ["davinci", "davinci-002"]
    """
    # a person decides: fix rewrites a model where it is passed or named as one, not any string
    assert scan(src.format(imp="import openai")) == [(3, 15, 24, "FT020", "davinci", "davinci-002", False)]
    assert scan(src.format(imp="import json")) == []


def test_edit_models_are_reported_but_not_fixable():
    assert scan("""
        import openai
        openai.Edit.create(model="text-davinci-edit-001", input="x")
    """) == [(3, 26, 49, "FT020", "text-davinci-edit-001", "gpt-4", False)]


def test_legacy_fine_tuned_names_anywhere_new_names_never():
    assert scan("""
        MODEL = "curie:ft-acmeco-2021-03-03-21-44-20"
        NEW = "ft:davinci-002:my-org:custom_suffix:7q8mpxmy"
    """) == [(2, 9, 46, "FT021", "curie:ft-acmeco-2021-03-03-21-44-20", None, False)]


def test_ordinary_words_are_not_models():
    assert scan('''
        import openai
        """Ada Lovelace and Marie Curie."""
        # davinci is discussed in a comment
        davinci_config = {"babbage": 1}
        greeting = "Ada Lovelace"
        lookup["curie"]
    ''') == []


# -- FT030 / FT031 response fields and statuses -------------------------------------------------

LEGACY = """
    import openai
    job = openai.FineTune.retrieve("ft-1")
"""


def test_response_fields_where_the_legacy_api_is_used():
    assert scan(LEGACY + """
    print(job["hyperparams"], job.training_files[0].id, job["validation_files"])
    print(job["result_files"][0]["id"], job.result_files[0].id)
    """)[1:] == [
        (5, 7, 25, "FT030", "hyperparams", "hyperparameters", True),
        (5, 27, 45, "FT030", "training_files", "training_file", True),
        # a whole list: fix can only mark it (only x["validation_files"][i]["id"] has a rewrite)
        (5, 53, 76, "FT030", "validation_files", "validation_file", False),
        (6, 7, 35, "FT030", 'result_files[i]["id"]', "result_files[i]", True),
        (6, 37, 59, "FT030", 'result_files[i]["id"]', "result_files[i]", True),
    ]


def test_fields_with_no_equivalent_are_manual_and_stay_under_fix_s_todo():
    """events and updated_at have no rewrite: manual where the legacy API is used, and after fix
    (the module then on the new API) wherever fix's TODO stands above the read."""
    found = scan(LEGACY + """
    print(job["events"][-1]["message"], job.updated_at)
    self.events.append(1)
    """)[1:]
    assert found == [(5, 7, 20, "FT030", "events", None, False),
                     (5, 37, 51, "FT030", "updated_at", "finished_at", False)]
    todo = "# TODO(ft-migrate FT030): the job object has no 'events': jobs carry no events: call list_events (newest-first)"
    migrated = textwrap.dedent(f"""
        import openai
        job = openai.FineTuningJob.retrieve("ftjob-1")
        {todo}
        print(job["events"])
        print(job.events)
    """)
    assert [(f.line, f.rule, f.legacy, f.fixable) for f in scan_python(migrated, "m.py", CAT)] == [
        (5, "FT030", "events", False)]


def test_response_field_names_in_unrelated_ml_code_are_not_findings():
    assert scan("""
        import openai
        config["hyperparams"]["lr"] = 0.1
        status = "pending"
        if state == "pending": pass
    """) == []


def test_legacy_status_comparisons():
    assert scan(LEGACY + """
    while job.status in ("pending", "running"): pass
    if job["status"] == "created": pass
    label = "pending"
    """)[1:] == [
        (5, 22, 31, "FT031", "pending", "validating_files or queued", True),
        (6, 21, 30, "FT031", "created", "validating_files or queued", True),
    ]


def test_fields_and_statuses_fix_cannot_follow_are_work_for_a_person():
    """A parameter may hold anything, and a status compared with a plain name is not a job's
    field: FX003 leaves both, so they are reported, but not as fixable."""
    found = scan_python(textwrap.dedent(LEGACY + """
    def show(order, n=1):
        if order["status"] == "pending":
            return order["hyperparams"], order.result_files[0].id
    state = job.status
    if state == "created": pass
    """), "m.py", CAT)
    assert [(f.line, f.rule, f.legacy, f.fixable, f.message) for f in found[1:]] == [
        (6, "FT031", "pending", False,
         "fine-tuning jobs never report status 'pending': they report 'validating_files' / 'queued' before "
         "'running'; 'order' is a parameter here: fix cannot tell whether it holds a fine-tune, so check by hand"),
        (7, "FT030", "hyperparams", False,
         "the fine-tuning job has no 'hyperparams': use 'hyperparameters' (same keys; \"auto\" where the legacy "
         "API held null); 'order' is a parameter here: fix cannot tell whether it holds a fine-tune, so check by hand"),
        (7, "FT030", 'result_files[i]["id"]', False,
         'result_files of a fine-tuning job are file id strings, not file objects: drop the ["id"]; '
         "'order' is a parameter here: fix cannot tell whether it holds a fine-tune, so check by hand"),
        (9, "FT031", "created", False,
         "fine-tuning jobs never report status 'created': they report 'validating_files' / 'queued' before "
         "'running'; it is compared here with 'state', not a job's status field: check by hand"),
    ]


def test_a_job_bound_in_the_function_is_still_fixable():
    assert scan("""
        import openai
        def wait(job_id):
            job = openai.FineTune.retrieve(job_id)
            return job["hyperparams"], job.status == "pending"
    """)[1:] == [
        (5, 12, 30, "FT030", "hyperparams", "hyperparameters", True),
        (5, 46, 55, "FT031", "pending", "validating_files or queued", True),
    ]


def test_an_index_into_a_legacy_events_listing_is_work_for_a_person():
    """Events are listed newest-first now: FX003 leaves a TODO at an index into a legacy
    listing, and FX009 reads ``list_events(id)["data"][0]`` (the oldest) from its helper."""
    found = scan_python(textwrap.dedent("""
        import openai
        def last(job_id):
            events = openai.FineTune.list_events(job_id)
            return events["data"][-1], events["data"][0], events["data"][1:]
        def first(job_id):
            return openai.FineTune.list_events(job_id)["data"][0]
    """), "m.py", CAT)
    assert [(f.line, f.column, f.rule, f.legacy, f.fixable) for f in found if f.rule == "FT030"] == [
        (5, 12, "FT030", 'list_events()["data"][i]', False)]
    assert found[1].message == ("fine-tuning job events are listed newest-first (legacy: oldest-first) and paged: "
                                "this index now counts from the newest; flip it or iterate reversed(...)")


def test_an_index_into_a_new_events_listing_is_reported_only_under_fix_s_todo():
    """After fix the listing is the new API's; the index is reported while fix's TODO stands
    above it, and code written for the new API (no TODO) is not a finding."""
    todo = ("# TODO(ft-migrate FT030): fine-tuning job events are listed newest-first (legacy: oldest-first) "
            "and paged: this index now counts from the newest; flip it or iterate reversed(...)")
    src = textwrap.dedent(f"""
        import openai
        def last(job_id):
            events = openai.FineTuningJob.list_events(job_id)
            {todo}
            newest = events["data"][-1]
            return newest, events.data[0]
    """)
    assert [(f.line, f.rule, f.fixable) for f in scan_python(src, "m.py", CAT)] == [(6, "FT030", False)]


def test_a_fine_tunes_create_with_a_positional_argument_is_left_with_its_model():
    """FX001 leaves it (the new create takes keywords only), and FX002 its model with it."""
    found = scan_python(textwrap.dedent("""
        import openai
        openai.FineTune.create(params, model="curie")
    """), "m.py", CAT)
    assert [(f.line, f.rule, f.fixable) for f in found] == [(3, "FT010", False), (3, "FT020", False)]


def test_a_completion_model_in_an_embeddings_call_is_work_for_a_person():
    found = scan_python(textwrap.dedent("""
        import openai
        openai.Embedding.create(engine="ada", input=["x"])
        openai.Embedding.create(model="text-similarity-ada-001", input=["x"])
    """), "m.py", CAT)
    assert [(f.line, f.legacy, f.fixable) for f in found] == [(3, "ada", False),
                                                             (4, "text-similarity-ada-001", True)]
    assert found[0].message == ("'ada' is not an embeddings model, so what replaces it would not answer an embeddings "
                                "call either: pass an embeddings model (text-embedding-ada-002)")


# -- FT020 a completions call once no completion-format model is left ---------------------------

def test_a_completions_call_whose_model_is_not_read_here_is_reported_once_the_format_is_gone():
    src = textwrap.dedent("""
        import openai
        from app.settings import CLASSIFIER
        a = openai.Completion.create(model=CLASSIFIER, prompt="p")
        b = openai.Completion.create(model=CLASSIFIER, prompt=["p", "q"])
        c = openai.Completion.create(prompt="p")
        d = openai.Completion.create(model="gpt-4o-mini", prompt="p")
    """)
    late = load_catalog(as_of=dt.date(2026, 11, 28))
    found = [(f.line, f.column, f.rule, f.legacy, f.fixable, f.message) for f in scan_python(src, "m.py", late)]
    head = "no completion-format model is left on 2026-11-28"
    assert found == [
        (4, 36, "FT020", "CLASSIFIER", True,
         f"{head}: fix moves this call to chat completions, and CLASSIFIER must name a chat model (a fine-tuned "
         "completion model is re-trained on chat data: `ft-migrate data convert --to chat`)"),
        (5, 36, "FT020", "CLASSIFIER", False,
         f"{head}: move this call to chat completions (messages=[...]) by hand, with a chat model for CLASSIFIER"),
        (6, 5, "FT020", "model", True,
         f"{head}: fix moves this call to chat completions, and the model (not given here) must name a chat model "
         "(a fine-tuned completion model is re-trained on chat data: `ft-migrate data convert --to chat`)"),
        (7, 36, "FT020", '"gpt-4o-mini"', True,
         '"gpt-4o-mini" is a chat model, which /v1/completions does not serve: fix moves this call to chat completions'),
    ]
    assert scan_python(src, "m.py", load_catalog(as_of=dt.date(2023, 12, 1))) == []


def test_a_file_libcst_cannot_read_has_nothing_fixable():
    """A tab-indented block holding a line indented with spaces: CPython reads it (a tab is
    up to eight columns), LibCST does not, so fix leaves the file and scan says so."""
    src = "import openai\n\ntry:\n\tfor e in openai.FineTune.list():\n            print(e)\nexcept Exception:\n\tpass\n"
    found = scan_python(src, "m.py", CAT)
    assert [(f.line, f.rule, f.fixable) for f in found] == [(4, "FT010", False)]
    assert found[0].message.endswith(
        "(fix cannot rewrite this file: line 5 is indented with spaces inside a block indented with a tab, which "
        "LibCST does not read; indent it the same way as its block)")
    nested = "import openai\n\ntry:\n\tfor e in openai.FineTune.list():\n\t    print(e)\nexcept Exception:\n\tpass\n"
    assert [(f.line, f.fixable) for f in scan_python(nested, "m.py", CAT)] == [(4, True)]
    # lines are counted as Python counts them: a U+2028 inside a string ends none
    shifted = scan_python('NOTE = "a\u2028b"\n' + src, "m.py", CAT)
    assert "line 6 is indented with spaces" in shifted[0].message


# -- suppression, fallback ----------------------------------------------------------------------

def test_python2_source_gets_line_rules():
    src = 'print "x"\nopenai.FineTune.create(training_file="f", model="curie")\nurl = "/v1/fine-tunes"\n'
    with pytest.raises(Exception):
        scan_python(src, "m.py", CAT)
    found = scan_python_lines(src, "m.py", CAT)
    assert [(f.line, f.rule, f.legacy) for f in found] == [
        (2, "FT010", "openai.FineTune.create"), (2, "FT020", "curie"), (3, "FT001", "/v1/fine-tunes")]
    # fix leaves a file that does not parse as it is: nothing in it is fixable, and the message says why
    assert [f.fixable for f in found] == [False, False, False]
    assert found[0].message.endswith("(fix leaves a file it cannot parse as it is: make it parse as Python 3, "
                                     "then run fix again)")


def test_builtin_names_do_not_break_resolution():
    """A builtin used as model= or beside the resource (no assignment node) is no crash."""
    src = ('import openai\n\n'
           'def run(model=None):\n'
           '    openai.Completion.create(model=str, prompt=input)\n'
           '    return openai.FineTune.list(id=id)\n')
    assert [(f[0], f[3]) for f in scan(src)] == [(5, "FT010")]


def test_engine_on_a_call_that_is_not_the_sdk_is_not_fixable():
    """fix turns engine= into model= only on openai's own calls; scan must not promise more."""
    code = ('import openai\nstore.get(engine="curie")\nopenai.Completion.create(engine="curie", prompt="p")\n')
    found = [(f.line, f.rule, f.legacy, f.fixable) for f in scan_python(code, "a.py", load_catalog())]
    assert found == [(2, "FT020", "curie", False), (3, "FT020", "curie", True)]


def test_a_completion_call_fix_moves_to_chat_is_fixable_one_it_cannot_is_not():
    """Today the target of a completion model is a chat model: fix (FX008) moves the whole
    call where chat has an equal for every argument, so scan promises exactly that."""
    import datetime as dt

    code = ('import openai\n'
            'openai.Completion.create(model="curie", prompt="p", max_tokens=5)\n'
            'openai.Completion.create(model="curie", prompt="p", echo=True)\n'
            'openai.Completion.create(model="curie", prompt=["a", "b"])\n')
    today = load_catalog(as_of=dt.date(2026, 11, 28))
    found = [(f.line, f.replacement, f.fixable) for f in scan_python(code, "a.py", today) if f.rule == "FT020"]
    assert found == [(2, "gpt-4.1-mini", True), (3, "gpt-4.1-mini", False), (4, "gpt-4.1-mini", False)]


def test_a_2023_replacement_that_retired_since_is_a_finding_by_date():
    """Code migrated in 2023 names davinci-002: fine then, broken after 2026-09-28 (FT022)."""
    import datetime as dt

    code = ('import openai\n'
            'a = openai.Completion.create(model="davinci-002", prompt="p")\n'
            'b = openai.FineTuningJob.create(training_file="f", model="davinci-002")\n')
    assert scan_python(code, "a.py", load_catalog(as_of=dt.date(2023, 12, 1))) == []
    today = scan_python(code, "a.py", load_catalog(as_of=dt.date(2026, 11, 28)))
    assert [(f.line, f.rule, f.legacy, f.replacement, f.fixable) for f in today] == [
        (2, "FT022", "davinci-002", "gpt-4.1-mini", True), (3, "FT022", "davinci-002", "gpt-4.1-mini", False)]
    assert today[0].message == (
        "model 'davinci-002' (passed as model=) was shut down on 2026-09-28 (a corroborated date, unconfirmed); "
        "no completion-format model is left: move the call to chat completions (messages=[...]) with "
        "'gpt-4.1-mini' (valid until 2027-01-14, a third-party date, unconfirmed)")
    assert today[1].message.startswith("model 'davinci-002' (passed as model=) was shut down on 2026-09-28 (a "
                                       "corroborated date, unconfirmed); fine-tune gpt-4.1-mini (valid until "
                                       "2027-01-06), which trains on chat-format data")


def test_a_wrappers_model_parameter_is_a_manual_finding():
    """LangChain's ``OpenAI(model_name=...)`` and the like, with or without ``import openai``:
    fix replaces only model=/engine=, so these stay for a person."""
    src = ('from langchain.llms import OpenAI\n\n'
           'llm = OpenAI(temperature=0, model_name="text-davinci-003")\n'
           'tuned = Trainer(base_model="curie", model_name="gpt-4o")\n')
    found = scan_python(src, "m.py", CAT)
    assert [(f.line, f.rule, f.legacy, f.fixable) for f in found] == [
        (3, "FT020", "text-davinci-003", False), (4, "FT020", "curie", False)]
    assert "(passed as model_name=)" in found[0].message


def test_a_chat_model_on_a_completions_call_is_a_finding_once_the_format_is_gone():
    """/v1/completions never served a chat model: FX008 moves such a call to chat, so scan says so
    (from the day every completions call is read, the prefilter's words then naming them)."""
    src = textwrap.dedent("""
        import openai
        openai.Completion.create(model="gpt-4.1-mini", prompt=question)
        openai.Completion.create(model="gpt-4.1-mini", prompt=[a, b])
    """)
    found = scan_python(src, "m.py", load_catalog(as_of=dt.date(2026, 11, 29)))
    assert [(f.line, f.rule, f.kind, f.fixable) for f in found] == [
        (3, "FT020", "completions-call", True), (4, "FT020", "completions-call", False)]
    assert found[0].message == ('"gpt-4.1-mini" is a chat model, which /v1/completions does not serve: '
                                'fix moves this call to chat completions')
