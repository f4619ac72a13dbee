"""FX004: mark legacy calls the fine-tuning jobs API cannot do.

Before::

    for event in openai.FineTune.stream_events(job_id):
        print(event["message"])

After::

    # TODO(ft-migrate FT010): FineTune.stream_events has no equivalent: the jobs API cannot stream events; poll list_events (newest first) until the job is finished
    for event in openai.FineTune.stream_events(job_id):
        print(event["message"])

``stream_events``/``astream_events``, ``list_events(..., stream=True)`` and
``delete`` stay as they are (they keep working against the ft-migrate shim) but
get a TODO saying what to do instead; the run reports each as a manual item.
Code is never commented out.  In the chain FX009 runs first and turns a
synchronous loop over a stream into polling, so what is left here are the
streams it cannot rewrite (async, outside a loop, more arguments than the id).
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from ft_migrate_codemods._base import MigrationCommand
from migrator.catalog import Catalog

WHY = {
    "stream_events": "the jobs API cannot stream events; poll list_events (newest first) until the job is finished",
    "list_events": "the jobs API cannot stream events; drop stream=True and poll list_events (newest first)",
    "delete": "there is no job deletion; delete the fine-tuned model with openai.Model.delete(model_id)",
}


class NoEquivalentCallsTodoCommand(MigrationCommand):
    ID = "FX004"
    RULE = "FT010"
    DESCRIPTION = "Leave a TODO at legacy calls with no equivalent (stream_events, delete, streamed list_events)."

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        """Only a module that names one of these methods (each ``a*`` twin contains its name)."""
        methods = {m for gen in catalog.sdk.generations() for m in gen.without_equivalent}
        return super().applies(code, catalog, model_map) and any(m in code for m in (*WHY, *methods))

    def visit_Call(self, node: cst.Call) -> None:
        match = self.legacy_call(node)
        if match is None and isinstance(node.func, cst.Attribute) and node.func.attr.value in (
                "stream_events", "astream_events", "delete", "adelete"):
            # legacy_call() only knows methods that exist on the v1 client too.
            if self.catalog.sdk.v0.legacy in self.qualified(node.func.value):
                match = ("v0", node.func.attr.value)
        if match is None:
            return
        generation, method = match
        rule = "FT010" if generation == "v0" else "FT011"
        base = method.removeprefix("a") if method.startswith(("astream", "adelete")) else method
        streamed = any(a.keyword is not None and a.keyword.value == "stream"
                       and not (isinstance(a.value, cst.Name) and a.value.value == "False") for a in node.args)
        if self.catalog.sdk_method(generation, method) == "" or (base == "list_events" and streamed):
            name = "FineTune" if generation == "v0" else "fine_tunes"
            self.todo(f"{name}.{method} has no equivalent: {WHY[base]}", rule)
