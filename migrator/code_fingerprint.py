"""This version of ft-migrate's code, as one digest, for what is kept between runs.

The scan cache and the parsed catalogs kept beside it (see :func:`migrator.catalog.load_catalog`)
are only trusted by the code that wrote them: a new version, or an editable
install being worked on, starts afresh.  The package's files are identified by
name, size and mtime, which is cheap (no file is read) and changes with any edit.
"""

from __future__ import annotations

import functools
import hashlib
import os

from migrator import __version__


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    digest = hashlib.sha256(__version__.encode())
    package = os.path.dirname(os.path.abspath(__file__))
    found = []
    for directory, subdirs, files in os.walk(package):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                st = os.stat(path)
                found.append(f"{os.path.relpath(path, package)}\0{st.st_size}\0{st.st_mtime_ns}\n")
    for line in sorted(found):
        digest.update(line.encode())
    return digest.hexdigest()
