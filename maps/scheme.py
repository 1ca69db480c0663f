"""The page's own URL scheme, ``d120://app/…``: everything the map page loads comes from here.

Why a custom scheme rather than ``file://``: one origin for the page, the vendored Leaflet,
our JS, the basemap GeoJSON (fetched by the page) and MBTiles tiles (read from SQLite —
``file://`` cannot serve those), with no file-system access granted to the page beyond
what the handler chooses to serve, and a request interceptor that sees every URL.

* :func:`register_scheme` must run **before** the ``QApplication`` exists (Qt's rule for
  ``QWebEngineUrlScheme``); ``widgets.seat_app.create_application`` and the GUI tests'
  conftest call it. It also imports QtWebEngine before the QApplication (DESIGN §3).
* :class:`SchemeHandler` serves the paths below; anything else gets ``UrlNotFound``:

  ========================== =================================================
  ``/vendor/<path>``         ``resources/vendor/`` (Leaflet)
  ``/maps/<file>``           ``maps/js/`` (our page API)
  ``/qwebchannel.js``        Qt's own ``qrc:/qtwebchannel/qwebchannel.js``
  ``/page/<file>``           the built page (a temporary directory)
  ``/basemap/<city>/<file>`` ``resources/maps/<city>/`` (imported basemap)
  ``/tiles/<z>/<x>/<y>``     the configured MBTiles file
  ========================== =================================================

GUI thread only (Qt calls ``requestStarted`` there).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from PySide6 import QtWebEngineWidgets  # noqa: F401  (must be imported before the QApplication)
from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlScheme, QWebEngineUrlSchemeHandler

from maps.sources import RESOURCES, MBTiles

log = logging.getLogger(__name__)

SCHEME = b"d120"
HOST = "app"
BASE_URL = "d120://app"
JS_DIR = Path(__file__).resolve().parent / "js"
_registered = False


def register_scheme() -> None:
    """Register ``d120://`` with QtWebEngine. Call once, before the QApplication; idempotent."""
    global _registered
    if _registered:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
        | QWebEngineUrlScheme.Flag.FetchApiAllowed
        | QWebEngineUrlScheme.Flag.ContentSecurityPolicyIgnored
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    _registered = True


def _read_qrc(path: str) -> bytes | None:
    f = QFile(path)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        return None
    try:
        return bytes(f.readAll().data())
    finally:
        f.close()


class SchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves ``d120://app/…`` for one profile. Set :attr:`page_dir`, :attr:`basemap_dir`, :attr:`mbtiles`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_dir: Path | None = None
        self.basemap_dir: Path | None = None
        self.mbtiles: MBTiles | None = None
        self.served = 0

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt override)
        url = job.requestUrl()
        if url.host() != HOST:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        try:
            found = self._resolve(url.path())
        except Exception:  # a bad request must never take the seat down
            log.exception("d120 scheme: failed on %s", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        if found is None:
            log.info("d120 scheme: not found %s", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        data, mime = found
        buffer = QBuffer(job)  # owned by the job: lives exactly as long as the request
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.served += 1
        job.reply(mime.encode(), buffer)

    # ------------------------------------------------------------ routing
    def _resolve(self, path: str) -> tuple[bytes, str] | None:
        parts = [p for p in path.split("/") if p]
        if not parts or any(p in (".", "..") or "\\" in p for p in parts):
            return None
        head, rest = parts[0], parts[1:]
        if head == "qwebchannel.js" and not rest:
            data = _read_qrc(":/qtwebchannel/qwebchannel.js")
            return (data, "application/javascript") if data is not None else None
        if head == "tiles":
            return self._tile(rest)
        roots = {"vendor": RESOURCES / "vendor", "maps": JS_DIR, "page": self.page_dir,
                 "basemap": self.basemap_dir}
        root = roots.get(head)
        if root is None or not rest:
            return None
        file = root.joinpath(*rest)
        if not file.is_file():
            return None
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".geojson":
            mime = "application/geo+json"
        elif file.suffix == ".js":
            mime = "application/javascript"
        return file.read_bytes(), mime

    def _tile(self, rest: list[str]) -> tuple[bytes, str] | None:
        if self.mbtiles is None or len(rest) != 3:
            return None
        try:
            z, x, y = (int(v.split(".")[0]) for v in rest)
        except ValueError:
            return None
        data = self.mbtiles.tile(z, x, y)
        return (data, self.mbtiles.mime_type) if data is not None else None
