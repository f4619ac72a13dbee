"""Shell scripts, Makefiles, Dockerfiles and Markdown: commands where they run, URLs where they matter."""

from __future__ import annotations

from migrator.catalog import load_catalog
from migrator.scan.textfiles import scan_dockerfile, scan_makefile, scan_markdown, scan_shell, scan_yaml

CAT = load_catalog()


def rows(found) -> list[tuple]:
    return [(f.line, f.column, f.end_line, f.end_column, f.rule, f.legacy, f.fixable) for f in found]


def test_shell_script():
    text = "#!/bin/bash\nset -e\n# openai api fine_tunes.create -m ada\nopenai api fine_tunes.create -t d.jsonl \\\n  -m curie\n"
    assert rows(scan_shell(text, "t.sh", CAT)) == [
        (4, 1, 4, 29, "FT040", "openai api fine_tunes.create", True),
        (5, 6, 5, 11, "FT020", "curie", True),
    ]


def test_makefile_variables_recipes_and_make_references():
    text = ("MODEL ?= davinci\nNAME = ada lovelace\n# openai api fine_tunes.list\n"
            "train:\n\t@openai api fine_tunes.create -t $(DATA) -m $(MODEL) --suffix x\n"
            "\tcurl $(API)/v1/fine-tunes/$$ID/events\n")
    assert rows(scan_makefile(text, "Makefile", CAT)) == [
        (1, 10, 1, 17, "FT020", "davinci", False),
        (5, 3, 5, 31, "FT040", "openai api fine_tunes.create", True),
        (6, 13, 6, 39, "FT001", "/v1/fine-tunes/{id}/events", False),
    ]


def test_dockerfile_shell_env_and_exec_forms():
    text = ('FROM python:3.9\nENV MODEL curie\nARG ENGINE=text-davinci-002\n'
            'RUN pip install openai==0.27.4 && \\\n    openai api fine_tunes.list\n'
            'CMD ["openai", "api", "fine_tunes.follow", "-i", "ft-1"]\n')
    assert rows(scan_dockerfile(text, "Dockerfile", CAT)) == [
        (2, 11, 2, 16, "FT020", "curie", False),
        (3, 12, 3, 28, "FT020", "text-davinci-002", False),
        (4, 17, 4, 31, "FT050", "openai==0.27.4", False),  # fix leaves a Dockerfile's pins
        (5, 5, 5, 31, "FT040", "openai api fine_tunes.list", True),
        (6, 6, 6, 42, "FT040", "openai api fine_tunes.follow", False),
    ]


def test_markdown_code_only_for_commands_urls_anywhere_never_fixable():
    text = ("# Ada Lovelace and Marie Curie\n\nWe used openai api fine_tunes.create once (prose).\n"
            "Run `openai api fine_tunes.list`, see https://api.openai.com/v1/fine-tunes.\n\n"
            "```bash\n# openai api fine_tunes.get\nopenai tools fine_tunes.prepare_data -f x.jsonl\n```\n\n"
            "```python\nopenai.FineTune.create(model=\"curie\")\n```\n\n"
            "    openai api fine_tunes.cancel -i ft-1\n\n"
            "<!-- https://api.openai.com/v1/engines -->\n")
    assert rows(scan_markdown(text, "README.md", CAT)) == [
        (4, 6, 4, 32, "FT040", "openai api fine_tunes.list", False),
        (4, 61, 4, 75, "FT001", "/v1/fine-tunes", False),
        (8, 1, 8, 37, "FT041", "openai tools fine_tunes.prepare_data", False),
        (12, 8, 12, 23, "FT010", "openai.FineTune.create", False),
        (12, 30, 12, 37, "FT020", "curie", False),
        (15, 5, 15, 33, "FT040", "openai api fine_tunes.cancel", False),
    ]


def test_dockerfile_env_value_in_quotes():
    text = 'FROM python:3.9\nENV MODEL_ENGINE "text-davinci-002"\nENV MODEL \'curie\'\nENV NAME "Ada"\n'
    assert rows(scan_dockerfile(text, "Dockerfile", CAT)) == [
        (2, 19, 2, 35, "FT020", "text-davinci-002", False),
        (3, 12, 3, 17, "FT020", "curie", False),
    ]


def test_markdown_prompts_before_commands_in_code_blocks():
    """`>>`, `>`, `PS C:\\app>` and `C:\\app>` are prompts in a README's code block, not redirections."""
    text = ("```bash\n>> openai tools fine_tunes.prepare_data -f data.jsonl\n"
            "> openai api fine_tunes.follow -i ft-1\nPS C:\\app> openai api fine_tunes.list\n"
            "C:\\app> openai api fine_tunes.list\n```\n")
    assert [(f.line, f.column, f.rule, f.legacy) for f in scan_markdown(text, "README.md", CAT)] == [
        (2, 4, "FT041", "openai tools fine_tunes.prepare_data"),
        (3, 3, "FT040", "openai api fine_tunes.follow"),
        (4, 12, "FT040", "openai api fine_tunes.list"),
        (5, 9, "FT040", "openai api fine_tunes.list"),
    ]


def test_markdown_tilde_fence_and_crlf():
    text = "~~~~sh\r\nopenai api fine_tunes.list\r\n~~~~\r\n"
    assert rows(scan_markdown(text, "x.md", CAT)) == [(2, 1, 2, 27, "FT040", "openai api fine_tunes.list", False)]


def test_markdown_without_code_has_no_command_findings():
    assert scan_markdown("openai api fine_tunes.list is what we ran with curie.\n", "x.md", CAT) == []


def test_yaml_is_config_plus_commands():
    text = "env:\n  MODEL: ada\nsteps:\n  - run: openai api fine_tunes.list\n"
    assert rows(scan_yaml(text, "ci.yml", CAT)) == [
        (2, 10, 2, 13, "FT020", "ada", False),
        (4, 10, 4, 36, "FT040", "openai api fine_tunes.list", True),
    ]
