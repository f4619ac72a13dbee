"""LibCST codemods that migrate legacy fine-tuning code, one transform per module.

``REGISTRY`` maps each codemod's stable id to its class, in the fixed order the
runner chains them.  The order matters: codemods that recognise *legacy* calls by
their old names (response fields, no-equivalent calls, ``**kwargs`` dicts) run
before FX001 renames those calls; import edits run after each codemod.
"""

from __future__ import annotations

from ft_migrate_codemods._base import MigrationCommand
from ft_migrate_codemods.cli_argv_to_jobs import CliArgvToJobsCommand
from ft_migrate_codemods.completions_to_chat import CompletionsToChatCommand
from ft_migrate_codemods.event_streams_to_polling import EventStreamsToPollingCommand
from ft_migrate_codemods.fine_tune_calls_to_jobs import FineTuneCallsToJobsCommand
from ft_migrate_codemods.kwargs_dicts_to_jobs import KwargsDictsToJobsCommand
from ft_migrate_codemods.legacy_models_to_replacements import LegacyModelsToReplacementsCommand
from ft_migrate_codemods.no_equivalent_calls_todo import NoEquivalentCallsTodoCommand
from ft_migrate_codemods.raw_http_to_jobs import RawHttpToJobsCommand
from ft_migrate_codemods.response_fields_to_jobs import ResponseFieldsToJobsCommand

REGISTRY: dict[str, type[MigrationCommand]] = {
    cls.ID: cls
    for cls in (
        # Recognise legacy calls by their old names: before FX001 renames them.
        EventStreamsToPollingCommand,  # FX009: before FX004 and FX003 mark the streams it rewrites
        NoEquivalentCallsTodoCommand,  # FX004
        ResponseFieldsToJobsCommand,  # FX003
        KwargsDictsToJobsCommand,  # FX005: the ``**params`` of legacy creates
        FineTuneCallsToJobsCommand,  # FX001
        # Raw HTTP and the CLI do not use the SDK: independent of the others.
        RawHttpToJobsCommand,  # FX006
        CliArgvToJobsCommand,  # FX007
        # Completions calls whose model is now a chat model move to chat with the model
        # they need: before FX002, which would otherwise only say so in a TODO.
        CompletionsToChatCommand,  # FX008
        # Models last: FX001 already maps the model of a create it rewrites.
        LegacyModelsToReplacementsCommand,  # FX002
    )
}


def gather_codemods(only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> list[type[MigrationCommand]]:
    """The codemods to run, in order; ``only``/``skip`` take ids or module names."""
    def named(cls: type[MigrationCommand], names: tuple[str, ...]) -> bool:
        return cls.ID in names or cls.__module__.rsplit(".", 1)[-1] in names

    return [cls for cls in REGISTRY.values()
            if (not only or named(cls, only)) and not named(cls, skip)]
