"""FX007: rewrite ``openai api fine_tunes.*`` argv lists passed to ``subprocess``.

Before::

    subprocess.run(["openai", "api", "fine_tunes.create", "-t", train_id, "-m", "curie", "--no_follow"])

After::

    subprocess.run(["openai", "api", "fine_tuning.job.create", "-t", train_id, "-m", "davinci-002"])

A Python program that drives the legacy CLI holds the command line as a list of
words.  The words are handed to the same rewrite as shell lines
(:func:`migrator.fix.cli_lines.rewrite_argv`: command names through the catalog,
flags with no equivalent removed and named in a TODO, the model mapped and
written when missing), with a placeholder word for every element that is not a
string literal, and the list is rebuilt from the result: unchanged elements keep
their node (formatting, comments, variables), new words become string literals.
"""

from __future__ import annotations

import difflib
from typing import Mapping

import libcst as cst

from ft_migrate_codemods._base import HOLE_RE, MigrationCommand, hole, new_string, string_value
from migrator.catalog import Catalog
from migrator.code_shapes import ARGV_RUNNERS
from migrator.fix import cli_lines
from migrator.todo_markers import TODO_RE



class CliArgvToJobsCommand(MigrationCommand):
    ID = "FX007"
    RULE = "FT040"
    DESCRIPTION = "Rewrite `openai api fine_tunes.*` argv lists passed to subprocess like the CLI lines."

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        return "subprocess" in code and "fine_tunes." in code

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not updated_node.args or not self.qualified(original_node.func) & ARGV_RUNNERS:
            return updated_node
        first = updated_node.args[0]
        argv = first.value
        if first.keyword is not None or not isinstance(argv, (cst.List, cst.Tuple)) or not argv.elements:
            return updated_node
        if any(not isinstance(e, cst.Element) for e in argv.elements):
            return updated_node  # a starred element: the words are not all known
        values = [string_value(e.value) for e in argv.elements]
        words = [v if v is not None else hole(i) for i, v in enumerate(values)]
        new_words, todos, sites = cli_lines.rewrite_argv(words, self.catalog, self.model_map)
        for line in todos:
            m = TODO_RE.match(line)
            self.todo(m.group(2), m.group(1))
        if new_words == words:
            return updated_node
        self.count_site(sites)
        elements = _realigned(list(argv.elements), words, new_words, self.string_quote(argv))
        return updated_node.with_changes(args=[first.with_changes(value=argv.with_changes(elements=elements)),
                                               *updated_node.args[1:]])


def _realigned(elements: list[cst.Element], old: list[str], new: list[str], quote: str) -> list[cst.Element]:
    """The elements for ``new``, laid out like the list was: unchanged words and
    placeholders keep their node, a changed word keeps its element's comma, and
    inserted words go on the line of the word before them (after a line break,
    on a line of their own)."""
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    out: list[cst.Element] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(elements[i1:i2])
        elif tag == "replace" and i2 - i1 == j2 - j1:
            out.extend(e if HOLE_RE.fullmatch(w) else e.with_changes(value=new_string(w, quote))
                       for e, w in zip(elements[i1:i2], new[j1:j2]))
        elif j2 > j1:
            added = [elements[old.index(w)] if HOLE_RE.fullmatch(w) else cst.Element(new_string(w, quote), comma=space)
                     for w in new[j1:j2]]
            if out and out[-1] is not elements[-1]:
                added[-1] = added[-1].with_changes(comma=out[-1].comma)
            out.extend(added)
    if out[-1] is not elements[-1]:  # the last word went: its successor closes the list
        out = [e.with_changes(comma=space) if e is elements[-1] else e for e in out[:-1]] + out[-1:]
        out[-1] = out[-1].with_changes(comma=elements[-1].comma)
    return out
