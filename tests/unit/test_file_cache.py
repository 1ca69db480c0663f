"""Files a seat reads for every window (the destination rules, the road graph) are parsed once per
process while they stay unchanged: an edited file is read again, and what one caller does to
what it got never reaches the next caller."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import app.filecache
from app.dispatch import destination
from app.dispatch.destination import RULES_FILE, RulesError, load_rules
from app.filecache import FileCache
from app.mapdata.city import DEFAULT_CITY_DIR
from app.routing.engine import GraphRouter
from app.routing.graph import GRAPH_FILE, GraphFileError, load_arrays


@pytest.fixture
def keep_fresh_files(monkeypatch):
    """Files written by the test count as settled at once (the cache keeps them)."""
    monkeypatch.setattr(app.filecache, "RACY_S", 0.0)


def _counting(monkeypatch, module, name):
    calls = []
    real = getattr(module, name)

    def counted(path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def _backdate(path, seconds_ago: float) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - int(seconds_ago * 1e9)))


def test_the_rules_file_is_parsed_once_while_it_is_unchanged(tmp_path, monkeypatch, keep_fresh_files):
    rules_file = tmp_path / "destinations.yaml"
    shutil.copyfile(RULES_FILE, rules_file)
    parsed = _counting(monkeypatch, destination, "_compose")

    first, second = load_rules(rules_file), load_rules(rules_file)

    assert first == second and first
    assert len(parsed) == 1


def test_an_edited_rules_file_is_read_again(tmp_path, keep_fresh_files):
    rules_file = tmp_path / "destinations.yaml"
    shutil.copyfile(RULES_FILE, rules_file)
    before = load_rules(rules_file)

    # The same size, the modification time moved: still a different file.
    text = rules_file.read_text(encoding="utf-8")
    first_id = before[0].rule_id
    renamed = first_id[:-1] + ("x" if first_id[-1] != "x" else "y")
    rules_file.write_text(text.replace(f"id: {first_id}\n", f"id: {renamed}\n", 1), encoding="utf-8")
    _backdate(rules_file, 5)
    after = load_rules(rules_file)

    assert after[0].rule_id == renamed
    assert [r.rule_id for r in after[1:]] == [r.rule_id for r in before[1:]]


def test_a_rules_file_broken_after_loading_is_refused(tmp_path, keep_fresh_files):
    rules_file = tmp_path / "destinations.yaml"
    shutil.copyfile(RULES_FILE, rules_file)
    assert load_rules(rules_file)

    rules_file.write_text("rules: [\n", encoding="utf-8")

    with pytest.raises(RulesError, match="YAML syntax error"):
        load_rules(rules_file)


def test_a_file_rewritten_within_the_racy_window_is_never_served_from_memory(tmp_path, monkeypatch):
    path = tmp_path / "note.txt"
    reads = []
    cache = FileCache(lambda p: reads.append(p) or p.read_text())
    path.write_text("one")

    assert cache.get(path) == "one"
    path.write_text("two")  # same size, possibly the same time stamp: only the racy rule tells them apart
    assert cache.get(path) == "two"
    assert len(reads) == 2


def test_what_a_caller_does_to_its_rules_stays_its_own():
    rules = load_rules()
    rules[0].requirement.reason["en"] = "changed by one window"
    rules.clear()

    again = load_rules()

    assert again and again[0].requirement.reason["en"] != "changed by one window"
    assert again == load_rules()


def test_the_road_graph_is_shared_read_only_and_its_meta_is_each_callers_own(keep_fresh_files):
    first = load_arrays(DEFAULT_CITY_DIR / GRAPH_FILE)
    first.meta["profile"] = "changed by one window"
    first.seconds = np.zeros(1)

    second = load_arrays(DEFAULT_CITY_DIR / GRAPH_FILE)

    assert second.meta["profile"] != "changed by one window"
    assert len(second.seconds) == len(second.src) > 1
    with pytest.raises(ValueError, match="read-only"):
        second.lat[0] = 0.0


def test_a_replaced_road_graph_is_loaded_again(tmp_path, keep_fresh_files):
    path = tmp_path / GRAPH_FILE
    shutil.copyfile(DEFAULT_CITY_DIR / GRAPH_FILE, path)
    shipped = load_arrays(path)
    assert load_arrays(path).lat is shipped.lat  # from memory: the very same (read-only) arrays

    path.write_bytes(b"not a graph")

    with pytest.raises(GraphFileError, match="unreadable"):
        load_arrays(path)


def test_two_windows_route_over_one_shared_graph_and_it_cannot_be_changed_by_either(keep_fresh_files):
    first = GraphRouter.for_city(DEFAULT_CITY_DIR, 1.2)
    second = GraphRouter.for_city(DEFAULT_CITY_DIR, 1.2)
    slower = GraphRouter.for_city(DEFAULT_CITY_DIR, 1.0)

    assert second.graph is first.graph and second.snapper is first.snapper
    assert slower.graph is not first.graph and slower.graph.emergency_factor == 1.0
    with pytest.raises(ValueError, match="read-only"):
        first.graph.edge_seconds[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        first.graph.forward.data[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        first.snapper.seg_a[0] = 0
    # The searches of both routers take turns on the graph's scratch arcs.
    here, there = (float(first.graph.lat[0]), float(first.graph.lon[0])), (float(first.graph.lat[-1]),
                                                                           float(first.graph.lon[-1]))
    assert first.eta({"u1": here}, there)["u1"] == second.eta({"u1": here}, there)["u1"]


def test_an_invalid_emergency_factor_is_refused_before_anything_is_loaded():
    with pytest.raises(ValueError, match="positive number"):
        GraphRouter.for_city(DEFAULT_CITY_DIR, 0)
    with pytest.raises(ValueError, match="positive number"):
        GraphRouter.for_city(DEFAULT_CITY_DIR, None)  # type: ignore[arg-type]
