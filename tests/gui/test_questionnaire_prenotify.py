"""A stroke inside the treatment window proposes pre-notifying the stroke centre on the result
page; a stroke past 24 hours does not."""

from __future__ import annotations

import pytest

from tests.gui.test_questionnaire import answer_call

pytestmark = pytest.mark.gui


FAST_POSITIVE = ("yes", "yes", "yes", "no")  # face, arm, speech; no diabetes (seizure, thinner: follow-ups)


@pytest.mark.parametrize(("onset", "code", "proposed"), [("within_4_5h", "04-A-3", True),
                                                        ("over_24h", "04-C-2", False)])
def test_the_result_page_proposes_stroke_centre_prenotification_inside_the_window(triage_seat, qtbot, onset,
                                                                                   code, proposed):
    seat = triage_seat
    panel = seat.window.triage
    answer_call(seat, qtbot)
    panel.start_or_show()
    panel.choose_complaint("stroke")
    for key in ("yes", "no"):  # awake, not struggling to breathe (asked here: no case entry answers)
        assert panel.answer(key)
    for key in (*FAST_POSITIVE, onset):
        assert panel.answer(key)
    qtbot.waitUntil(lambda: panel.session.result is not None)
    assert panel.session.result.code == code
    assert ("Ctrl+Shift+H" in panel.result_hint.text()) is proposed
