"""Where a training centre's server is reached: this machine's processes on a local URL, seats
on the LAN on the machine's addresses — and nowhere but loopback unless the trainer says so."""

from __future__ import annotations

import argparse

from app.sim import runner
from app.sim.cli import add_commands


def test_a_centre_on_loopback_offers_no_lan_url():
    assert runner.lan_urls("127.0.0.1", 8120) == []
    assert runner.lan_urls("localhost", 8120) == []
    assert runner.local_url("127.0.0.1", 8120) == "ws://127.0.0.1:8120/ws"


def test_a_centre_on_every_address_is_reached_locally_on_loopback_and_from_the_lan_on_each_address(monkeypatch):
    monkeypatch.setattr(runner, "machine_addresses", lambda: ["10.0.0.7", "192.168.1.20"])
    assert runner.local_url("0.0.0.0", 8120) == "ws://127.0.0.1:8120/ws"
    assert runner.lan_urls("0.0.0.0", 8120) == ["ws://10.0.0.7:8120/ws", "ws://192.168.1.20:8120/ws"]


def test_a_centre_on_one_lan_address_is_reached_there_by_everyone():
    assert runner.local_url("192.168.1.20", 8120) == "ws://192.168.1.20:8120/ws"
    assert runner.lan_urls("192.168.1.20", 8120) == ["ws://192.168.1.20:8120/ws"]
    assert runner.local_url("::", 8120) == "ws://[::1]:8120/ws"


def test_the_machines_addresses_leave_out_loopback():
    assert all(not address.startswith("127.") for address in runner.machine_addresses())


def test_sim_serve_listens_on_loopback_unless_told_otherwise():
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    plain = parser.parse_args(["serve", "--scenario", "s.yaml"])
    assert runner.options_from_args(plain).listen == "127.0.0.1"
    lan = parser.parse_args(["serve", "--scenario", "s.yaml", "--listen", "0.0.0.0"])
    assert runner.options_from_args(lan).listen == "0.0.0.0"
