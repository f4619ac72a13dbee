"""Python code that calls Azure OpenAI, which scan reports and fix leaves as it is.

With ``openai.api_type = "azure"`` (openai<1), or an ``AzureOpenAI`` client
(openai>=1), the SDK's calls go to the user's Azure deployments: ``engine=`` and
``deployment_id=`` (and a v1 client's ``model=``) name a deployment, not a model,
so ``engine=`` cannot become ``model=``, a deployment named ``text-davinci-003``
cannot be renamed to another model, and Azure retires models and fine-tuning
routes on its own schedule, which the catalog does not hold.  So every finding
in such a module is manual (:data:`NOTE` says why) and the codemods leave it
unchanged; scan and fix decide it with this one function, on the same ``ast``.
"""

from __future__ import annotations

import ast
import functools

# The openai<1 settings and openai>=1 clients that send SDK calls to Azure.
API_TYPE = "api_type"
ENV_API_TYPE = "OPENAI_API_TYPE"
DEPLOYMENT = "deployment_id"
CLIENTS = frozenset({"AzureOpenAI", "AsyncAzureOpenAI"})
# Without one of these, no sign of Azure can be in the code (``azure``, ``AZURE``, ``Azure``).
_WORDS = ("zure", "ZURE", DEPLOYMENT)
_BYTE_WORDS = tuple(w.encode() for w in _WORDS)


def note(line: int) -> str:
    return (f"this module calls Azure OpenAI (line {line}), where engine=, deployment_id= and a client's model= "
            "name your deployments and Azure retires models on its own schedule: fix leaves it to you")


def azure_line(tree: ast.Module) -> int | None:
    """The line of the first sign that ``tree`` calls Azure OpenAI, or None.

    Signs: ``openai.api_type = "azure"`` (or ``"azure_ad"``; ``openai`` under any
    alias it is imported as) or ``os.environ["OPENAI_API_TYPE"] = "azure"``, a call
    given ``deployment_id=`` (openai<1 takes it for Azure only), and a call to
    ``AzureOpenAI``/``AsyncAzureOpenAI`` imported from ``openai`` or reached as
    ``openai.AzureOpenAI``.
    """
    modules = {"openai"}  # names bound to the openai module
    clients: set[str] = set()  # names bound to its Azure clients
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == "openai")
        elif isinstance(node, ast.ImportFrom) and node.module == "openai" and not node.level:
            clients.update(a.asname or a.name for a in node.names if a.name in CLIENTS)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if (isinstance(value, ast.Constant) and isinstance(value.value, str)
                    and value.value.lower().startswith("azure")
                    and any(_api_type(t, modules) for t in targets)):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id in clients
                    or isinstance(func, ast.Attribute) and func.attr in CLIENTS and isinstance(func.value, ast.Name)
                    and func.value.id in modules
                    or any(k.arg == DEPLOYMENT for k in node.keywords)):
                lines.append(node.lineno)
    return min(lines, default=None)


def _api_type(target: ast.expr, modules: set[str]) -> bool:
    """``openai.api_type`` (``openai`` under one of ``modules``' names) or ``os.environ["OPENAI_API_TYPE"]``."""
    if isinstance(target, ast.Attribute):
        return target.attr == API_TYPE and isinstance(target.value, ast.Name) and target.value.id in modules
    return (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
            and target.slice.value == ENV_API_TYPE and isinstance(target.value, ast.Attribute)
            and target.value.attr == "environ")


def may_call_azure(data: bytes) -> bool:
    """False when the source's bytes cannot hold a sign of Azure (the usual case: no decoding needed)."""
    return any(word in data for word in _BYTE_WORDS)


@functools.lru_cache(maxsize=16)
def azure_line_of(code: str) -> int | None:
    """:func:`azure_line` of source text (None where it does not parse: the caller reports that)."""
    if not any(word in code for word in _WORDS):
        return None  # the usual case, without a parse (plain substring searches: C speed)
    try:
        return azure_line(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
