"""Rewriting ``openai api fine_tunes.*`` lines and ``openai`` pins: exact text out."""

from __future__ import annotations

from migrator.catalog import load_catalog
from migrator.fix.cli_lines import rewrite_lines, transform_text
from migrator.fix.pins import bump_text, needs_bump

CAT = load_catalog()
FOLLOW = ("# TODO(ft-migrate FT040): the legacy create followed the job until it finished; "
          "fine_tuning.job.create returns at once: poll `openai api fine_tuning.job.get -i ID` "
          "if later steps need the model")
DROPPED = ("# TODO(ft-migrate FT040): removed {}: the fine-tuning jobs API has no prompt loss weight "
           "and no classification metrics")


def test_shell_create_with_continuation_and_dropped_flags() -> None:
    src = ('openai api fine_tunes.create -t "$F" -m curie \\\n'
           '  --n_epochs 2 --batch_size 4 --classification_betas 0.5 1 --no_follow && echo ok\n')
    out, sites = rewrite_lines(src, CAT, {})
    assert out == (DROPPED.format("--batch_size, --classification_betas") + "\n"
                   'openai api fine_tuning.job.create -t "$F" -m davinci-002 \\\n'
                   '  --n_epochs 2 && echo ok\n')
    assert sites == 1
    assert rewrite_lines(out, CAT, {}) == (out, 0)


def test_default_model_written_and_follow_noted() -> None:
    out, _ = rewrite_lines("  openai -k $KEY api fine_tunes.create -t file-abc\n", CAT, {})
    assert out == f"  {FOLLOW}\n  openai -k $KEY api fine_tuning.job.create -t file-abc -m davinci-002\n"


def test_makefile_todo_at_column_zero_and_make_variables_kept() -> None:
    src = "train:\n\topenai api fine_tunes.create -t $(TRAIN) -m ada --no_follow\n\topenai api fine_tunes.follow -i $(ID)\n"
    out = transform_text(src.encode(), "makefile", CAT, {})[0].decode()
    assert out == ("train:\n\topenai api fine_tuning.job.create -t $(TRAIN) -m babbage-002\n"
                   "# TODO(ft-migrate FT040): `openai api fine_tunes.follow` has no equivalent in the fine-tuning "
                   "jobs API: fine_tuning.job.follow always fails: poll `openai api fine_tuning.job.get -i ID` "
                   "instead\n\topenai api fine_tunes.follow -i $(ID)\n")
    assert transform_text(out.encode(), "makefile", CAT, {})[0].decode() == out


def test_markdown_only_inside_fences_and_comments_left_alone() -> None:
    src = ("Run `openai api fine_tunes.list` to see jobs.\n\n```bash\n"
           "# openai api fine_tunes.list  (old)\nopenai api fine_tunes.events -i ft-1 --stream\n```\n")
    out = transform_text(src.encode(), "markdown", CAT, {})[0].decode()
    assert out == ("Run `openai api fine_tunes.list` to see jobs.\n\n```bash\n"
                   "# openai api fine_tunes.list  (old)\nopenai api fine_tuning.job.events -i ft-1\n```\n")


def test_crlf_and_model_map_in_shell() -> None:
    old = "curie:ft-acme-2023-03-01-12-00-00"
    src = f"openai api fine_tunes.create -t f -m {old} --no_follow\r\n".encode()
    out = transform_text(src, "shell", CAT, {old: "ft:davinci-002:acme::x1"})[0]
    assert out == b"openai api fine_tuning.job.create -t f -m ft:davinci-002:acme::x1\r\n"


def test_pins() -> None:
    assert [needs_bump(s, CAT) for s in ("==0.27.8", "", ">=0.27", "<1", ">=0.28.1,<1", "==0.28.1", ">=1")] == \
        [True, True, True, True, False, False, True]
    assert bump_text("openai[datalib]==0.27.4 ; python_version>'3.8'\nopenai-whisper==1\n", CAT) == \
        ("openai[datalib]>=0.28.1,<1 ; python_version>'3.8'\nopenai-whisper==1\n", 1)
