"""A trainer runs a class for trainee seats on other machines of the centre's LAN.

The training centre listens on loopback unless it is told to listen on the LAN. Told so,
a seat on another machine joins with its seat's token (the join file the centre writes
names the LAN URL) and a wrong token is refused; told nothing, the LAN cannot reach it.
The "other machine" is this machine's non-loopback address when it has one; without one
the centre listens on 0.0.0.0 and the seat comes in on 127.0.0.1.
"""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path

import pytest

from app.sim.control import read_join_file
from app.sim.launcher import TrainingSession, start_training
from app.sim.runner import machine_addresses

try:  # `python -m pytest` from the project root (the Makefile's way)
    from tests.integration.wsclient import ProtocolClient
except ImportError:  # pragma: no cover - plain `pytest`, rootdir not on sys.path
    from wsclient import ProtocolClient

pytestmark = pytest.mark.integration

SCENARIO = """
name: 局域网培训 / LAN class
start: first_seat_ready
registry:
  stations: [{id: st-fontvieille, name: 枫维耶急救站, lat: 43.72793, lon: 7.41778}]
  hospitals: [{id: chpg, name: 格蕾丝王妃医院中心, lat: 43.73041, lon: 7.41141}]
  units: [{id: A1, call_sign: 急救1, station: st-fontvieille, capability: als}]
  seats: [{id: seat-1, name: 调度席1}, {id: seat-2, name: 调度席2}]
  devices: [{id: dev-A1, unit: A1}]
  switches: [{id: switch-1, name: 模拟交换机}]
calls:
  - at: 600
    caller_number: "13812345678"
    location_text: Boulevard Albert 1er 12号
    says: {zh: 我爸爸胸口痛得厉害, en: My father has crushing chest pain}
    expected_priority: 1
    outcome: transported
"""

LAN_ADDRESSES = machine_addresses()
LISTEN = LAN_ADDRESSES[0] if LAN_ADDRESSES else "0.0.0.0"  # noqa: S104 - the point of the test


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "lan.yaml"
    path.write_text(textwrap.dedent(SCENARIO), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def lan_centre(scenario_file, tmp_path_factory):
    session = start_training(scenario_file, workdir=tmp_path_factory.mktemp("lan") / "run", listen=LISTEN,
                             timeout_s=30)
    yield session
    session.stop()


def seat_url(session: TrainingSession) -> str:
    """Where a seat on another machine connects: the LAN URL, or loopback on a machine without one."""
    if LAN_ADDRESSES:
        return session.lan_urls[0]
    return session.url


def hello(url: str, token: str) -> dict:
    conn = ProtocolClient.connect(url, timeout=10)
    try:
        return conn.hello(token, client="pytest-lan-seat")
    finally:
        conn.ws.close()


def test_a_seat_on_the_lan_joins_a_centre_listening_there_with_its_token(lan_centre):
    if LAN_ADDRESSES:
        port = lan_centre.url.rsplit(":", 1)[1].split("/")[0]
        assert lan_centre.lan_urls[0] == f"ws://{LISTEN}:{port}/ws"
    url = seat_url(lan_centre)
    seat = ProtocolClient.open(url, token=lan_centre.seats["seat-2"], timeout=10, client="pytest-lan-seat")
    try:
        assert seat.welcome is not None and seat.welcome["principal"]["id"] == "seat-2"
        assert seat.command("seat.set_ready", {"ready": True})["type"] == "ack"
    finally:
        seat.ws.close()


def test_a_wrong_token_is_refused_on_the_lan(lan_centre):
    reply = hello(seat_url(lan_centre), secrets.token_urlsafe(32))
    assert reply["type"] == "error" and reply["code"] == "unauthenticated", reply


def test_the_centre_writes_each_seat_a_join_file_naming_the_lan_url(lan_centre):
    if not LAN_ADDRESSES:
        pytest.skip("this machine has no address other than loopback")
    joined = read_join_file(Path(lan_centre.workdir) / "join-seat-2.json")
    assert (joined.url, joined.seat_id, joined.seat_token) == (
        lan_centre.lan_urls[0], "seat-2", lan_centre.seats["seat-2"])
    assert (Path(lan_centre.workdir) / "join-seat-2.json").stat().st_mode & 0o077 == 0


def test_a_join_file_copied_to_another_machine_keeps_the_seats_journal_there(tmp_path, lan_centre):
    copied = tmp_path / "join-seat-2.json"
    copied.write_text((Path(lan_centre.workdir) / "join-seat-2.json").read_text(encoding="utf-8")
                      .replace(str(lan_centre.workdir), "/no/such/run/on/this/machine"), encoding="utf-8")
    joined = read_join_file(copied)
    assert joined.workdir is None and joined.seat_token == lan_centre.seats["seat-2"]


def test_by_default_the_centre_listens_on_this_machine_only(scenario_file, tmp_path):
    if not LAN_ADDRESSES:
        pytest.skip("this machine has no address other than loopback to try")
    session = start_training(scenario_file, workdir=tmp_path / "run", timeout_s=30)
    try:
        assert session.lan_urls == [] and session.url.startswith("ws://127.0.0.1:")
        port = session.url.rsplit(":", 1)[1].split("/")[0]
        with pytest.raises(OSError):
            ProtocolClient.connect(f"ws://{LAN_ADDRESSES[0]}:{port}/ws", timeout=5)
        assert not (Path(session.workdir) / "join-seat-2.json").exists()
    finally:
        session.stop()
