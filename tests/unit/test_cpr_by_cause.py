"""CPR taught for the cause of the arrest: the caller's first-aid cards, the card chosen for each
method (scene safety first), and what ``cpr.started`` may record. No Qt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.caller_link import CPR_CARD_BY_METHOD, SAFETY_CARD, arrest_guidance_cards
from app.protocol import ProtocolError, command
from app.protocol.caller_link import GUIDANCE_CARDS
from app.protocol.triage import CPR_PATIENTS, CPR_VARIANTS
from app.triage.model import CprMethod

CARDS = json.loads((Path(__file__).resolve().parents[2] / "resources" / "guidance" / "cards.json")
                   .read_text(encoding="utf-8"))
INCIDENT = "7c2e9a41-5b3d-4e8f-a16c-0d9b2f4e6a83"


def test_the_card_file_holds_exactly_the_cards_the_protocol_allows_each_in_chinese_and_english():
    assert set(CARDS) == set(GUIDANCE_CARDS)
    for card_id, card in CARDS.items():
        for lang in ("zh", "en"):
            assert card[lang]["title"].strip(), (card_id, lang)
            steps = card[lang]["steps"]
            assert steps and all(isinstance(s, str) and s.strip() for s in steps), (card_id, lang)
        assert len(card["zh"]["steps"]) == len(card["en"]["steps"]), card_id  # the same steps, translated
        # The page loads nothing remote (the SVG namespace is a name, not a download).
        assert "http" not in card.get("svg", "").replace('xmlns="http://www.w3.org/2000/svg"', ""), card_id


def test_only_the_scene_safety_card_is_marked_to_stay_on_top_of_the_page():
    assert [card_id for card_id, card in CARDS.items() if card.get("safety")] == [SAFETY_CARD]


@pytest.mark.parametrize("method", list(CprMethod))
def test_every_cpr_method_has_a_card_and_a_hazard_puts_scene_safety_first(method):
    assert arrest_guidance_cards(method.value, safety=False) == (CPR_CARD_BY_METHOD[method.value],)
    assert arrest_guidance_cards(method.value, safety=True) == (SAFETY_CARD, CPR_CARD_BY_METHOD[method.value])
    assert set(arrest_guidance_cards(method.value, safety=True)) <= GUIDANCE_CARDS


def test_an_asphyxial_adult_arrest_gets_the_rescue_breaths_card_not_hands_only():
    assert arrest_guidance_cards("breaths_first", safety=False) == ("cpr_rescue_breaths",)
    assert arrest_guidance_cards("hands_only", safety=False) == ("cpr_adult",)
    assert arrest_guidance_cards(None, safety=False) == ("cpr_adult",)  # not known yet: the protocols' default


@pytest.mark.parametrize(("card_id", "depth"), [("cpr_rescue_breaths", "5–6"), ("cpr_child", "5"),
                                                ("cpr_infant", "4")])
def test_the_breaths_cards_teach_5_rescue_breaths_then_30_to_2_at_the_right_depth(card_id, depth):
    zh, en = "\n".join(CARDS[card_id]["zh"]["steps"]), "\n".join(CARDS[card_id]["en"]["steps"])
    assert "5 breaths" in en or "5 gentle breaths" in en
    assert "30" in en and "2 breaths" in en and "just push" in en  # unable or unwilling: compressions only
    assert "吹气5次" in zh and "按压30次" in zh and "吹气2次" in zh
    assert f"{depth} cm" in en and f"{depth}厘米" in zh


def test_the_infant_card_covers_mouth_and_nose():
    assert "mouth and nose" in " ".join(CARDS["cpr_infant"]["en"]["steps"])
    assert "口和鼻" in " ".join(CARDS["cpr_infant"]["zh"]["steps"])


def test_cpr_started_records_the_patient_and_whether_breaths_were_given():
    assert {"adult", "child", "infant"} <= CPR_VARIANTS  # what older seats send stays valid
    for patient in CPR_PATIENTS:
        for variant in (patient, f"{patient}_breaths", f"{patient}_no_breaths"):
            command("cpr.started", {"incident_id": INCIDENT, "rate_per_min": 110, "variant": variant})
    for wrong in ("breaths_first", "hands_only", "adult_30_2", "teen"):
        with pytest.raises(ProtocolError):
            command("cpr.started", {"incident_id": INCIDENT, "rate_per_min": 110, "variant": wrong})
