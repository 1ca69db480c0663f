"""The one way to the shipped data folder (``resources/``): in a checkout, a wheel and a frozen bundle.

``resources/`` is a package of data (its ``__init__.py`` holds no code), found with
:func:`importlib.resources.files` like any package data, so the same call works

* in a checkout or an editable install: the folder beside ``app/``;
* from an installed wheel: ``site-packages/resources/`` (``pyproject.toml`` ships every
  file under it as package data of the ``resources`` package);
* from a frozen PyInstaller bundle. The spec must collect the package *and* its files:
  ``hiddenimports=["resources"]`` and ``datas=[("resources", "resources")]`` (or
  ``collect_data_files("resources")``); PyInstaller's resource reader then answers
  ``files("resources")`` with ``<bundle>/resources``. Should the package itself be
  missing from the bundle, ``sys._MEIPASS/resources`` is used when it exists.

Callers get real filesystem paths (:class:`pathlib.Path`), because much of the data goes
to code that opens files by name: QtWebEngine pages, ``QSoundEffect``, osmium, the map's
URL scheme handler. When the package is not on the filesystem (a zip import), the folder
is extracted once with :func:`importlib.resources.as_file` and removed at exit.

Nothing else builds a path to ``resources`` by hand (``tests/unit/test_resources_locator.py``
fails if a module does). Qt-free; any thread.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import sys
from importlib import resources as importlib_resources
from pathlib import Path

PACKAGE = "resources"


@functools.cache
def resources_root() -> Path:
    """The ``resources`` folder as a real directory (found once per process).

    Raises:
        FileNotFoundError: the data is not installed (no ``resources`` package and no
            frozen bundle that holds the folder).
    """
    try:
        root = importlib_resources.files(PACKAGE)
    except NotADirectoryError:
        # An editable install made while resources/ had no __init__.py still maps it as a namespace
        # package, whose reader fails on the installer's placeholder path entry (Python 3.11
        # MultiplexedPath); `make venv` re-installs. Meanwhile its real folder is on __path__.
        return _namespace_folder()
    except ModuleNotFoundError:
        bundle = getattr(sys, "_MEIPASS", None)
        if getattr(sys, "frozen", False) and bundle and (Path(bundle) / PACKAGE).is_dir():
            return Path(bundle) / PACKAGE
        raise FileNotFoundError(
            f"the {PACKAGE!r} data package is not installed; a frozen bundle must collect it "
            "(see app/resources.py)") from None
    if isinstance(root, Path):
        return root
    # Not on the filesystem (a zip import): extract it for the rest of the process.
    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    return Path(stack.enter_context(importlib_resources.as_file(root)))


def _namespace_folder() -> Path:
    package = importlib.import_module(PACKAGE)
    for entry in getattr(package, "__path__", ()):
        if (Path(entry) / "__init__.py").is_file():
            return Path(entry)
    raise FileNotFoundError(f"no folder of the {PACKAGE!r} package holds its __init__.py")


def resource_path(*parts: str) -> Path:
    """``resources/<parts...>`` as a real path, e.g. ``resource_path("protocols", "plans.yaml")``.

    The path is not checked: a caller that may find it missing (a ``.qm`` not built yet, a
    city not imported) checks itself.
    """
    return resources_root().joinpath(*parts)
