"""What the server makes of a caller page's and an operator's raw input: fixes, photos, ICE servers."""

from __future__ import annotations

import argparse

import pytest

from server_stub.__main__ import _ice_server
from server_stub.caller_link import link_id_for_command
from server_stub.caller_media import sniff
from server_stub.caller_page import location


def test_a_fix_keeps_the_phones_own_time_in_utc_and_falls_back_to_arrival_time():
    fix = location({"lat": 29.563, "lon": 106.5516, "accuracy_m": 12, "at": "2026-11-27T11:33:02.5+08:00"})
    assert fix["at"] == "2026-11-27T03:33:02.500Z"
    for bad in ("yesterday", "2026-11-27T03:33:02", 12345, "x" * 41):  # no zone, not a time, too long
        fix = location({"lat": 29.563, "lon": 106.5516, "accuracy_m": 12, "at": bad})
        assert fix["at"].endswith("Z") and fix["at"] != bad
    assert location({"lat": 91, "lon": 0, "accuracy_m": 5}) is None


def test_a_link_id_is_derived_from_its_command_id():
    first = link_id_for_command("9a1c3e5f-7b2d-4f60-8e1a-3c5d7f9b1e20")
    assert first == "Lbc60016e6baa561e" == link_id_for_command("9a1c3e5f-7b2d-4f60-8e1a-3c5d7f9b1e20")
    assert link_id_for_command("9a1c3e5f-7b2d-4f60-8e1a-3c5d7f9b1e21") != first


def test_photos_are_recognised_by_their_first_bytes():
    assert sniff(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"<html>") is None and sniff(b"") is None


def test_ice_servers_are_checked_when_the_server_starts():
    turn = _ice_server('{"urls": "turn:turn.example.cn:3478", "username": "120", "credential": "s3cret", "x": 1}')
    assert turn == {"urls": "turn:turn.example.cn:3478", "username": "120", "credential": "s3cret"}
    assert _ice_server('{"urls": ["stun:stun.example.cn:3478"]}') == {"urls": ["stun:stun.example.cn:3478"]}
    for bad in ("stun:host", '{"urls": "http://x"}', '{"urls": []}', '{"urls": "turn:x", "credential": 5}', "[]"):
        with pytest.raises(argparse.ArgumentTypeError):
            _ice_server(bad)
