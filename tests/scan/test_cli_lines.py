"""The shell-like command scanner: CLI commands, models, pip pins and URLs, with exact positions."""

from __future__ import annotations

from migrator.catalog import load_catalog
from migrator.findings import Finding
from migrator.scan.cli_lines import command_findings, scan_command_text, split_commands
from migrator.scan.common import Span

CAT = load_catalog()
SHUT = "shut down on 2024-01-04"


def scan(text: str, **kw) -> list[tuple]:
    return [(f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy, f.replacement, f.fixable)
            for f in scan_command_text(text, "run.sh", CAT, **kw)]


def test_create_with_backslash_continuation_and_dropped_flag():
    text = ("openai api fine_tunes.create -t train.jsonl \\\n"
            "  -m curie --prompt_loss_weight 0.1\n")
    found = scan_command_text(text, "run.sh", CAT)
    assert [f.as_json() for f in found] == [
        {"path": "run.sh", "line": 1, "column": 1, "end_line": 1, "end_column": 29, "cell": None,
         "rule": "FT040", "kind": "cli", "legacy": "openai api fine_tunes.create",
         "replacement": "openai api fine_tuning.job.create", "fixable": True,
         "message": f"`openai api fine_tunes.create` calls the legacy /v1/fine-tunes endpoint, {SHUT}; "
                    "use `openai api fine_tuning.job.create` (openai>=0.28.1); "
                    "--prompt_loss_weight has no equivalent and must be dropped"},
        {"path": "run.sh", "line": 2, "column": 6, "end_line": 2, "end_column": 11, "cell": None,
         "rule": "FT020", "kind": "model", "legacy": "curie", "replacement": "davinci-002", "fixable": True,
         "message": f"model 'curie' (passed as -m to `openai api fine_tunes.create`) will be {SHUT}; "
                    "use 'davinci-002'"},
    ]


def test_commented_out_command_is_not_a_finding():
    assert scan("# openai api fine_tunes.create -m curie\n  # curl https://api.openai.com/v1/fine-tunes\n") == []


def test_migrated_command_is_not_a_finding_but_its_legacy_model_is():
    assert scan("openai api fine_tuning.job.create -t file-1 -m davinci-002\n") == []
    assert scan("openai api fine_tuning.job.create -t file-1 -m ada\n") == [
        (1, 48, 1, 51, "FT020", "ada", "babbage-002", True)]


def test_follow_and_delete_have_no_equivalent():
    found = scan_command_text("openai api fine_tunes.follow -i ft-1; openai api fine_tunes.delete -i ft-1",
                              "run.sh", CAT)
    assert [(f.column, f.end_column, f.rule, f.legacy, f.replacement, f.fixable) for f in found] == [
        (1, 29, "FT040", "openai api fine_tunes.follow", None, False),
        (39, 67, "FT040", "openai api fine_tunes.delete", None, False),
    ]
    assert found[0].message.endswith("it has no equivalent: fine_tuning.job.follow always fails: "
                                      "poll `openai api fine_tuning.job.get -i ID` instead")


def test_chains_env_prefix_quotes_global_flags_and_python_m():
    text = ('cd x && OPENAI_API_KEY="k" openai -k "$KEY" api fine_tunes.list | jq .\n'
            "python -m openai api fine_tunes.events -i ft-1 --stream\n"
            "openai api completions.create -m 'text-davinci-003' -p hi\n")
    assert scan(text) == [
        (1, 28, 1, 64, "FT040", "openai api fine_tunes.list", "openai api fine_tuning.job.list", True),
        (2, 11, 2, 39, "FT040", "openai api fine_tunes.events", "openai api fine_tuning.job.events", True),
        (3, 34, 3, 52, "FT020", "text-davinci-003", "gpt-3.5-turbo-instruct", True),
    ]
    assert scan_command_text(text, "run.sh", CAT)[1].message.endswith(
        "--stream has no equivalent and must be dropped")


def test_command_substitution_and_bash_c():
    assert scan('ID=$(openai api fine_tunes.get -i ft-1 | jq -r .id)\nbash -c "openai api fine_tunes.cancel -i $ID"\n') == [
        (1, 6, 1, 31, "FT040", "openai api fine_tunes.get", "openai api fine_tuning.job.get", True),
        (2, 10, 2, 38, "FT040", "openai api fine_tunes.cancel", "openai api fine_tuning.job.cancel", True),
    ]


def test_prepare_data_tool():
    found = scan_command_text("openai tools fine_tunes.prepare_data -f data.jsonl -q", "run.sh", CAT)
    assert [(f.column, f.end_column, f.rule, f.kind, f.replacement, f.fixable) for f in found] == [
        (1, 37, "FT041", "cli", None, False)]
    assert found[0].message == ("`openai tools fine_tunes.prepare_data` prepares data for the legacy fine-tunes "
                                "endpoint only; no successor in the openai CLI: use `ft-migrate data check` / "
                                "`ft-migrate data convert`")


def test_fine_tuned_model_name_as_model_and_models_delete_id():
    name = "curie:ft-acmeco-2021-03-03-21-44-20"
    assert scan(f"openai api completions.create -m {name} -p hi\nopenai api models.delete -i {name}\n") == [
        (1, 34, 1, 69, "FT021", name, None, False),
        (2, 29, 2, 64, "FT021", name, None, False),
    ]


def test_curl_urls_with_method_and_json_body_model():
    text = ("curl -X DELETE https://api.openai.com/v1/fine-tunes/$FT_ID\n"
            "curl https://api.openai.com/v1/fine-tunes -d '{\"model\": \"curie\"}'\n"
            "curl https://api.openai.com/v1/fine-tunes/${FT_ID}/events\n")
    found = scan_command_text(text, "run.sh", CAT)
    assert [(f.line, f.column, f.end_column, f.rule, f.legacy, f.replacement, f.fixable) for f in found] == [
        (1, 38, 59, "FT001", "/v1/fine-tunes/{id}", None, False),
        (2, 28, 42, "FT001", "/v1/fine-tunes", "/v1/fine_tuning/jobs", False),
        (2, 58, 63, "FT020", "curie", "davinci-002", False),
        (3, 28, 58, "FT001", "/v1/fine-tunes/{id}/events", "/v1/fine_tuning/jobs/{id}/events", False),
    ]
    assert "delete the fine-tuned model with DELETE /v1/models/{model}" in found[0].message


def test_model_variables_and_generic_model_options():
    assert scan("export FT_MODEL=ada\npython train.py --base-model curie --name=davinci\nNAME=ada\n") == [
        (1, 17, 1, 20, "FT020", "ada", "babbage-002", False),
        (2, 30, 2, 35, "FT020", "curie", "davinci-002", False),
    ]


def test_pip_install_pins():
    assert scan('pip install -U "openai==0.27.4" pandas\npython -m pip install openai>=0.27\n'
                "pip3 install -r requirements.txt openai~=0.26.0\n") == [
        (1, 16, 1, 32, "FT050", "openai==0.27.4", "openai>=0.28.1,<1", False),  # fix leaves scripts' pins
        (3, 34, 3, 48, "FT050", "openai~=0.26.0", "openai>=0.28.1,<1", False),
    ]


def test_no_false_alarms_on_words():
    assert scan("echo 'Ada Lovelace and Marie Curie' davinci_config\nbabbage=1 ./run\n"
                "echo ada curie davinci\ngit commit -m curie\n") == []


def test_crlf_and_offsets():
    assert scan("echo hi\r\nopenai api fine_tunes.list\r\n", cell=3, line_offset=4) == [
        (6, 1, 6, 27, "FT040", "openai api fine_tunes.list", "openai api fine_tuning.job.list", True)]
    assert scan_command_text("openai api fine_tunes.list", "nb.ipynb", CAT, cell=3)[0].cell == 3


def test_unterminated_quote_and_parens_are_forgiven():
    assert scan("echo \"it's\nopenai api fine_tunes.list )\n") == [
        (2, 1, 2, 27, "FT040", "openai api fine_tunes.list", "openai api fine_tuning.job.list", True)]


def test_redirections_are_not_arguments():
    words = split_commands("openai api fine_tunes.list > out.json 2>&1 -x")
    assert [w.value for w in words[0]] == ["openai", "api", "fine_tunes.list", "-x"]


def test_command_findings_for_argv_are_all_at_the_span():
    span = Span(4, 5, 4, 60)
    found = command_findings(["openai", "api", "fine_tunes.create", "-t", "f", "-m", "curie"], "a.py", span, CAT)
    assert [(f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy) for f in found] == [
        (4, 5, 4, 60, "FT020", "curie"),
        (4, 5, 4, 60, "FT040", "openai api fine_tunes.create"),
    ]
    assert command_findings(["openai", "api", "fine_tuning.job.list"], "a.py", span, CAT) == []
    assert [f.rule for f in command_findings(["sh", "-c", "openai api fine_tunes.list"], "a.py", span, CAT)] == [
        "FT040"]


def test_text_without_anything_to_find_is_not_lexed():
    assert scan_command_text("echo hello\n" * 1000, "big.sh", CAT) == []


def test_findings_are_findings():
    assert all(isinstance(f, Finding) for f in scan_command_text("openai api fine_tunes.list", "x", CAT))
