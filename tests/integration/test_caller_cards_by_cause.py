"""The caller's phone follows the cause of the arrest: scene safety on top, then the CPR card of the
method (rescue breaths first for drowning), and the beat panel says "30 pushes, then 2 breaths"
while the caller gives breaths. Real server, Debian's headless Chromium as the phone."""

from __future__ import annotations

from tests.integration.test_caller_link import (  # noqa: F401  (fixtures: browser, playwright)
    answered_call,
    browser,
    phone,
    playwright,
    pytestmark,
    send_link,
)


def test_a_drowning_arrest_puts_scene_safety_above_the_rescue_breaths_card_on_the_phone(dispatch_server, browser):  # noqa: F811
    server = dispatch_server
    seat, incident_id = answered_call(server, "c-7")
    url = send_link(seat, "c-7")
    context = phone(browser, server)
    page = context.new_page()
    page.goto(url)
    page.click("#agree")
    seat.wait_event("call.link_consented", call_id="c-7")

    # Pushed as the coach pushes them (safety, then CPR): the page shows the newest card first, except
    # that the safety card stays on top.
    for card_id in ("scene_safety", "cpr_rescue_breaths"):
        assert seat.command("call.guidance_push", {"call_id": "c-7", "card_id": card_id})["type"] == "ack"
    page.wait_for_selector('[data-card="scene_safety"]')
    page.wait_for_selector('[data-card="cpr_rescue_breaths"] >> text=先吹气')
    order = page.eval_on_selector_all("#cards .card", "cards => cards.map(c => c.getAttribute('data-card'))")
    assert order == ["scene_safety", "cpr_rescue_breaths"]
    assert "safety" in page.get_attribute('[data-card="scene_safety"]', "class")

    assert seat.command("cpr.started", {"incident_id": incident_id, "rate_per_min": 110,
                                        "variant": "adult_breaths"})["type"] == "ack"
    page.wait_for_selector("#t_cpr >> text=吹气2次")
    # The caller cannot go on with breaths: the coach records it and the phone says push only.
    assert seat.command("cpr.started", {"incident_id": incident_id, "rate_per_min": 110,
                                        "variant": "adult_no_breaths"})["type"] == "ack"
    page.wait_for_selector("#t_cpr >> text=跟着节拍用力按压胸部正中")
    page.reload()  # a reloaded page gets the same order from the welcome
    page.wait_for_selector('[data-card="cpr_rescue_breaths"]')
    order = page.eval_on_selector_all("#cards .card", "cards => cards.map(c => c.getAttribute('data-card'))")
    assert order == ["scene_safety", "cpr_rescue_breaths"]
    context.close()
