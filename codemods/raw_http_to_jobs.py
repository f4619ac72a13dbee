"""FX006: point raw HTTP calls of ``/v1/fine-tunes`` at ``/v1/fine_tuning/jobs``.

Before::

    requests.post(f"{BASE}/v1/fine-tunes", json={"training_file": fid, "n_epochs": 2}, headers=h)
    requests.get(f"{BASE}/v1/fine-tunes/{job_id}/events", headers=h)

After::

    requests.post(f"{BASE}/v1/fine_tuning/jobs", json={"training_file": fid, "model": "davinci-002", "hyperparameters": {"n_epochs": 2}}, headers=h)
    requests.get(f"{BASE}/v1/fine_tuning/jobs/{job_id}/events", headers=h)

Code that talks to the API without the SDK (``requests``, ``httpx``, ``aiohttp``
sessions) has the legacy path in a URL string, an f-string, a ``+``
concatenation, or a name bound once to one of those.  The URL's text pieces are
joined with a placeholder for every interpolated expression, mapped through the
catalog's endpoint table for the call's HTTP method, and split back, so only the
literal text changes and every expression stays where it was.  The JSON body of
a ``POST /v1/fine-tunes`` (``json={...}`` or a followed dict, see
:mod:`ft_migrate_codemods._request_body`) is rewritten like the SDK's keyword arguments.  A
method with no equivalent (``DELETE``) or a URL that cannot be taken apart gets a
TODO.
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from ft_migrate_codemods._base import HOLE_RE, with_string_value
from ft_migrate_codemods._http import LEGACY_RE, http_call, imports_library
from ft_migrate_codemods._http import joined as url_text
from ft_migrate_codemods._request_body import RequestBodyCommand, follow_dict, manual_message, parent
from migrator.catalog import Catalog
from migrator.code_shapes import HTTP_LIBRARIES

def _split_back(pieces: list[cst.CSTNode], texts: list[str | None], old: str,
                new: str) -> dict[cst.CSTNode, str] | None:
    """The new text of each text piece, when ``new`` keeps every hole of ``old`` in
    place and each changed stretch of text is one piece."""
    new_segments, old_segments = HOLE_RE.split(new), HOLE_RE.split(old)
    slots: list[list[cst.CSTNode]] = [[]]
    for piece, text in zip(pieces, texts):
        if text is None:
            slots.append([])
        else:
            slots[-1].append(piece)
    if len(new_segments) != len(slots):
        return None
    edits: dict[cst.CSTNode, str] = {}
    for slot, segment, before in zip(slots, new_segments, old_segments):
        if segment == before:
            continue
        if len(slot) != 1:
            return None
        edits[slot[0]] = segment
    return edits


class RawHttpToJobsCommand(RequestBodyCommand):
    ID = "FX006"
    RULE = "FT001"
    DESCRIPTION = "Point requests/httpx/aiohttp calls of /v1/fine-tunes at /v1/fine_tuning/jobs."
    TRIGGERS = ("fine-tunes",)

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        return super().applies(code, catalog, model_map) and any(lib in code for lib in HTTP_LIBRARIES)

    def plan(self, module: cst.Module) -> None:
        self._edits: dict[cst.CSTNode, str] = {}  # text piece -> new text
        self._creates: set[cst.Call] = set()  # POST /v1/fine-tunes calls
        self._library = imports_library(self)
        calls: list[tuple[cst.Call, str, cst.BaseExpression]] = []
        command = self

        class Find(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                found = http_call(command, call, command._library)
                if found is not None:
                    calls.append((call, *found))

        module.visit(Find())
        for call, method, url in calls:
            self._plan_url(call, method, url)
        for call in self._creates:
            self._plan_body(call)

    # -- the URL -----------------------------------------------------------------
    def _plan_url(self, call: cst.Call, method: str, url: cst.BaseExpression) -> None:
        pieces, texts, joined = url_text(url)
        m = LEGACY_RE.search(joined)
        if m is None:
            return
        path, sep, query = joined[m.start():].partition("?")
        full = path if m.group("v1") else "/v1" + path  # the base URL ends in /v1
        endpoint = self.catalog.endpoint(full, method)
        if endpoint is not None and endpoint.replacement is None:
            self.add_manual(call, self.RULE, f"{method} {endpoint.legacy}: {endpoint.note}")
            return
        new = endpoint.translate(full.rstrip("/")) if endpoint is not None else None
        edits = None
        if new is not None:
            new = (new if m.group("v1") else new.removeprefix("/v1")) + ("/" if path.endswith("/") else "")
            edits = _split_back(pieces, texts, joined, joined[:m.start()] + new + sep + query)
        if edits is None:
            self.add_manual(call, self.RULE, "this URL of the legacy /v1/fine-tunes endpoint could not be "
                                             "rewritten here: use /v1/fine_tuning/jobs (hyperparameters nested, "
                                             "model required, events newest-first)")
            return
        if edits.keys() - self._edits.keys():
            self.count_site()
        self._edits.update(edits)
        if method == "POST" and endpoint.legacy == "/v1/fine-tunes":
            self._creates.add(call)

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        if original_node in self._edits:
            return with_string_value(updated_node, self._edits[original_node])
        return updated_node

    def leave_FormattedStringText(self, original_node: cst.FormattedStringText,
                                  updated_node: cst.FormattedStringText) -> cst.FormattedStringText:
        if original_node in self._edits:
            return updated_node.with_changes(value=self._edits[original_node])
        return updated_node

    # -- the JSON body -------------------------------------------------------------
    def _plan_body(self, call: cst.Call) -> None:
        body = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "json"), None)
        if body is None:
            return
        if isinstance(body, cst.Dict):
            self.add_body(body, self.RULE, has_model=False)
            return
        followed = follow_dict(self, body, self._consumes) if isinstance(body, cst.Name) else None
        if followed is None:
            self.add_manual(call, self.RULE, manual_message(self, "the JSON body of this POST /v1/fine-tunes"))
            return
        self.add_body(followed.literal, self.RULE, has_model=False, followed=followed)

    def _consumes(self, up: cst.CSTNode) -> bool:
        """``up`` is ``json=name`` in a ``POST /v1/fine-tunes``."""
        return (isinstance(up, cst.Arg) and up.keyword is not None and up.keyword.value == "json"
                and parent(self, up) in self._creates)
