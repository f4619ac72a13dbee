"""Stable rule ids for scan findings.

Rule ids never change meaning once released: users suppress them
(``# ft-migrate: ignore[FT020]``), CI systems track them in SARIF, and the report
counts them.  Each rule carries its help text and one example, which the README
lists and SARIF embeds.
"""

from __future__ import annotations

from dataclasses import dataclass

HELP_URI = "https://github.com/ft-migrate/ft-migrate#rules"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str  # endpoint | sdk-call | model | fine-tuned-model | response-field | cli | dependency
    summary: str
    help: str
    example: str
    level: str = "error"  # SARIF level


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("FT001", "legacy-fine-tunes-endpoint", "endpoint",
             "A URL of the legacy /v1/fine-tunes endpoint",
             "/v1/fine-tunes was shut down on 2024-01-04; use /v1/fine_tuning/jobs "
             "(hyperparameters nested, model required, events newest-first).",
             'requests.post(f"{BASE}/v1/fine-tunes", json=body)'),
        Rule("FT002", "retired-endpoint", "endpoint",
             "A URL of another retired endpoint (/v1/engines, /v1/answers, /v1/search, ...)",
             "These endpoints were shut down (most on 2022-12-03); the finding names the "
             "replacement where one exists.",
             'url = "https://api.openai.com/v1/engines/davinci/completions"'),
        Rule("FT010", "v0-fine-tune-call", "sdk-call",
             "A call of openai.FineTune.* (openai<1)",
             "openai.FineTune calls /v1/fine-tunes; openai.FineTuningJob (openai>=0.28.1) "
             "calls /v1/fine_tuning/jobs.",
             'openai.FineTune.create(training_file="file-abc", model="curie")'),
        Rule("FT011", "v1-fine-tunes-call", "sdk-call",
             "A call of client.fine_tunes.* (openai>=1)",
             "client.fine_tunes calls /v1/fine-tunes; use client.fine_tuning.jobs.",
             "client.fine_tunes.list()"),
        Rule("FT012", "fine-tune-resource-reference", "sdk-call",
             "openai.FineTune used other than by a call (annotation, mock target, dotted string)",
             "Tests and type hints that name openai.FineTune must follow the calls to "
             "openai.FineTuningJob.",
             'mock.patch("openai.FineTune.create")'),
        Rule("FT013", "js-fine-tune-call", "sdk-call",
             "An openai-node v3 fine-tune call (createFineTune, listFineTunes, ...)",
             "openai-node v3 calls /v1/fine-tunes; openai-node v4 has openai.fineTuning.jobs.",
             "await openai.createFineTune({ training_file: id })"),
        Rule("FT020", "legacy-model", "model",
             "A model shut down on 2024-01-04 used as a model",
             "GPT-3 base, InstructGPT, code, edit and v1 embedding models answer "
             "model_not_found; the finding names what replaces it on the as-of date.",
             'openai.Completion.create(model="text-davinci-003", prompt=p)'),
        Rule("FT021", "legacy-fine-tuned-model", "fine-tuned-model",
             "A model fine-tuned through /v1/fine-tunes (base:ft-...)",
             "Every model fine-tuned on the legacy endpoint was shut down with it: re-train "
             "on the model the finding names for the as-of date (see `ft-migrate data`).",
             'MODEL = "curie:ft-acmeco-2021-03-03-21-44-20"'),
        Rule("FT022", "retired-replacement-model", "model",
             "A model shut down after 2024 (a 2023 replacement such as davinci-002) used as a model",
             "The 2023 replacements retired in turn (babbage-002, davinci-002 and "
             "gpt-3.5-turbo-instruct on 2026-09-28, gpt-3.5-turbo on 2026-10-23); the finding "
             "names what replaces it on the as-of date.",
             'openai.Completion.create(model="davinci-002", prompt=p)'),
        Rule("FT030", "legacy-response-field", "response-field",
             "A FineTune response field the new job object does not have",
             "hyperparams became hyperparameters, training_files/validation_files became "
             "single file ids, result_files hold ids instead of file objects.",
             'job["hyperparams"]["n_epochs"]', level="warning"),
        Rule("FT031", "legacy-status-value", "response-field",
             'A comparison with the legacy statuses "pending"/"created"',
             'New jobs report "validating_files" and "queued" where legacy jobs said '
             '"pending"; such a comparison is never true any more.',
             'while job.status == "pending":', level="warning"),
        Rule("FT040", "legacy-cli-command", "cli",
             "An `openai api fine_tunes.*` command",
             "The legacy CLI commands call /v1/fine-tunes; `openai api fine_tuning.job.*` "
             "(openai>=0.28.1) is the replacement, without follow or classification flags.",
             "openai api fine_tunes.create -t train.jsonl -m curie"),
        Rule("FT041", "prepare-data-tool", "cli",
             "`openai tools fine_tunes.prepare_data`",
             "The data preparation tool targets the legacy format only; use "
             "`ft-migrate data check` and `ft-migrate data convert`.",
             "openai tools fine_tunes.prepare_data -f data.jsonl -q", level="warning"),
        Rule("FT050", "openai-pin", "dependency",
             "An openai requirement that cannot reach the new fine-tuning API",
             "openai<0.28.1 lacks a working FineTuningJob (0.27.x sends the wrong events "
             "cursor); pin openai>=0.28.1,<1 or move to openai>=1.",
             "openai==0.27.4"),
    )
}

KINDS = ("endpoint", "sdk-call", "model", "fine-tuned-model", "response-field", "cli", "dependency")
