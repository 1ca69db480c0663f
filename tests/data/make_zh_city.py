"""Regenerate ``zh_city.osm``: a tiny synthetic Chinese-named city for the map tests.

Run ``.venv/bin/python tests/data/make_zh_city.py``. Written with pyosmium's writer
(the same library the importer reads with). Near Hangzhou (WGS-84), made-up data:
streets 中山路 (two ways), 人民路 (with name:en), 解放北路; an address 中山路12号; a
hospital, a pharmacy, a building, a lake and a river.
"""

from __future__ import annotations

from pathlib import Path

import osmium
from osmium.osm.mutable import Node, Way

OUT = Path(__file__).resolve().parent / "zh_city.osm"
LAT0, LON0 = 30.2500, 120.1600
STEP = 0.001  # about 100 m in latitude


def build(path: Path = OUT) -> Path:
    path.unlink(missing_ok=True)
    nodes: list[Node] = []
    ways: list[Way] = []

    def node(i: int, dlat: float, dlon: float, tags: dict[str, str] | None = None) -> int:
        nodes.append(Node(id=i, version=1, location=(LON0 + dlon * STEP, LAT0 + dlat * STEP), tags=tags or {}))
        return i

    # 中山路: west-east along dlat=0, two ways sharing node 3.
    for i in range(1, 6):
        node(i, 0, (i - 1) * 2)
    ways.append(Way(id=101, version=1, nodes=[1, 2, 3], tags={"highway": "primary", "name": "中山路"}))
    ways.append(Way(id=102, version=1, nodes=[3, 4, 5], tags={"highway": "primary", "name": "中山路", "oneway": "yes"}))
    # 人民路: south-north at dlon=4.
    for i, dlat in zip(range(11, 15), (-4, -2, 2, 4), strict=True):
        node(i, dlat, 4)
    ways.append(Way(id=103, version=1, nodes=[11, 12, 3, 13, 14],
                    tags={"highway": "secondary", "name": "人民路", "name:en": "Renmin Road"}))
    # 解放北路: 600 m north, parallel to 中山路.
    for i in range(21, 24):
        node(i, 6, (i - 21) * 3)
    ways.append(Way(id=104, version=1, nodes=[21, 22, 23], tags={"highway": "residential", "name": "解放北路"}))
    # An unnamed service road.
    node(31, 1, 1)
    node(32, 1, 2)
    ways.append(Way(id=105, version=1, nodes=[31, 32], tags={"highway": "service"}))
    # Points: an address, a hospital, a pharmacy, a district.
    node(41, 0.3, 2.1, {"addr:street": "中山路", "addr:housenumber": "12"})
    node(42, -1, 5, {"amenity": "hospital", "name": "第一人民医院", "name:en": "First People's Hospital"})
    node(43, 1, 6, {"amenity": "pharmacy", "name": "老百姓大药房"})
    node(44, 3, 3, {"place": "suburb", "name": "上城区"})
    # A building (closed way) with an address, a lake, a river.
    for i, (dlat, dlon) in zip(range(51, 55), ((-0.5, 1), (-0.5, 1.5), (-1, 1.5), (-1, 1)), strict=True):
        node(i, dlat, dlon)
    ways.append(Way(id=106, version=1, nodes=[51, 52, 53, 54, 51],
                    tags={"building": "yes", "addr:street": "人民路", "addr:housenumber": "8"}))
    for i, (dlat, dlon) in zip(range(61, 65), ((-6, 0), (-6, 3), (-9, 3), (-9, 0)), strict=True):
        node(i, dlat, dlon)
    ways.append(Way(id=107, version=1, nodes=[61, 62, 63, 64, 61], tags={"natural": "water", "name": "西湖"}))
    node(71, 8, 0)
    node(72, 8, 8)
    ways.append(Way(id=108, version=1, nodes=[71, 72], tags={"waterway": "river", "name": "钱塘江"}))

    writer = osmium.SimpleWriter(str(path))
    try:
        for n in sorted(nodes, key=lambda n: n.id):
            writer.add_node(n)
        for w in ways:
            writer.add_way(w)
    finally:
        writer.close()
    return path


if __name__ == "__main__":
    print(build())
