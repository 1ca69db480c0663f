"""Build the map page with folium: vendored Leaflet, our JS API, no remote URL.

The page is written to a file and loaded through the ``d120://app/page/…`` scheme
(:mod:`maps.scheme`), not with ``setHtml`` (which fails over 2 MB, DESIGN §3).
folium's CDN defaults are replaced by the vendored Leaflet (``default_js``/``default_css``),
the map is created with ``tiles=None`` unless a tile source is configured, and no folium
plugin or ``folium.Icon`` is used (they add CDN links back). Markers are drawn by
``maps/js/d120.js`` (DOM built once per marker, then patched).

Qt-free apart from the URL constants; any thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import folium
from branca.element import Element

from maps.sources import OSM_ATTRIBUTION, MapConfig

BASE_URL = "d120://app"  # same as maps.scheme.BASE_URL (kept Qt-free here)
LEAFLET_JS = f"{BASE_URL}/vendor/leaflet/leaflet.js"
LEAFLET_CSS = f"{BASE_URL}/vendor/leaflet/leaflet.css"
PAGE_NAME = "map.html"
_REMOTE_RE = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")


def build_page_html(config: MapConfig, *, layers: Sequence[tuple[str, str]] = (), legend_html: str = "") -> str:
    """The page's HTML for ``config``.

    Args:
        layers: ``(layer_id, translated label)`` for the layer-toggle control, in order.
        legend_html: the legend's initial HTML (translated by the caller).
    """
    fmap = folium.Map(location=list(config.centre), zoom_start=config.zoom, tiles=None, prefer_canvas=True,
                      control_scale=True, max_zoom=19, zoom_control=True)
    # Instance attributes shadow folium's class-level CDN lists.
    fmap.default_js = [("leaflet", LEAFLET_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    attributions: list[str] = []
    if config.tiles is not None:
        folium.TileLayer(tiles=config.tiles.url, attr=config.tiles.attribution or " ", name="tiles",
                         min_zoom=config.tiles.min_zoom, max_zoom=config.tiles.max_zoom,
                         overlay=False, control=False).add_to(fmap)
    basemap = None
    if config.basemap is not None:
        basemap = {"base": f"{BASE_URL}/basemap/{config.basemap.city}", "layers": list(config.basemap.layers)}
        attributions.append(config.basemap.attribution or OSM_ATTRIBUTION)
    root = fmap.get_root()
    root.header.add_child(Element(f'<link rel="stylesheet" href="{BASE_URL}/maps/d120.css"/>'), name="d120_css")
    root.header.add_child(Element(f'<script src="{BASE_URL}/qwebchannel.js"></script>'), name="qwebchannel")
    root.header.add_child(Element(f'<script src="{BASE_URL}/maps/d120.js"></script>'), name="d120_js")
    options = {
        "layers": [{"id": layer_id, "label": label} for layer_id, label in layers],
        "legend": legend_html,
        "basemap": basemap,
        "attributions": attributions,
        "tile_url": config.tiles.url if config.tiles else None,
    }
    if basemap is not None and config.basemap is not None and config.basemap.bounds is not None:
        fmap.fit_bounds([list(config.basemap.bounds[0]), list(config.basemap.bounds[1])])
    # json.dumps escapes nothing HTML-dangerous by itself: "</" must not close the <script>.
    opts_js = json.dumps(options, ensure_ascii=False).replace("</", "<\\/")
    # folium renders the map's own script after this element: initialise once the document is parsed.
    root.script.add_child(Element(
        f'document.addEventListener("DOMContentLoaded", function () {{ window.d120.init({fmap.get_name()}, '
        f'{opts_js}); }});'), name="d120_init")
    return root.render()


def write_page(directory: Path, config: MapConfig, **kwargs) -> Path:
    """Write the page to ``directory/map.html`` and return the path (raises ``OSError``)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PAGE_NAME
    path.write_text(build_page_html(config, **kwargs), encoding="utf-8")
    return path


def remote_urls(text: str, allowed: Sequence[str] = ()) -> list[str]:
    """Every http(s)/protocol-relative host URL in ``text`` not starting with one of ``allowed``."""
    return [m for m in _REMOTE_RE.findall(text) if not any(m.startswith(a) for a in allowed)]
