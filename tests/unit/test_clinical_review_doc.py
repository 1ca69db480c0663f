"""The clinical-review document a medical director signs: generated from the protocol files.

If ``test_committed_review_matches_the_protocol_files`` fails, the protocols, the destination
rules or the notes changed after the document was written. Regenerate it with

    .venv/bin/python tools/clinical_review.py

then read the diff: every changed row is a clinical change the reviewer must see again.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from app.dispatch import destination
from app.triage import load_protocol_set
from tools import clinical_review
from tools.clinical_review import (
    DOC_PATH,
    REGENERATE,
    DestinationRules,
    NotesError,
    generate,
    load_notes,
    orphan_notes,
    parse_notes,
    render_document,
)

PLANS = """\
schema: 1
plans:
  als_emergency:
    capability: als
    urgency: emergency
    lights_sirens: true
    extra: []
    label: {zh: 高级生命支持·紧急出车, en: ALS emergency}
  bls_urgent:
    capability: bls
    urgency: urgent
    lights_sirens: false
    extra: [police]
    label: {zh: 基础生命支持·尽快出车, en: BLS urgent}
overrides: {}
"""

CASE_ENTRY = """\
schema: 1
id: case_entry
version: "1"
code: 0
title: {zh: 接警, en: Case entry}
start: age
questions:
  - id: age
    text: {zh: "患者多大年龄？", en: "How old is the patient?"}
    answers:
      - key: child
        label: {zh: 儿童, en: Child}
        next: chief_complaint
      - key: adult
        label: {zh: 成人, en: Adult}
        next: chief_complaint
  - id: chief_complaint
    text: {zh: "主要问题是什么？", en: "What is the main problem?"}
    answers:
      - key: burns
        label: {zh: 烧伤, en: Burns}
        complaint: burns
"""

# File order differs from asking order on purpose: q_size is written first, asked second.
BURNS = """\
schema: 1
id: burns
version: "7"
code: 10
title: {zh: 烧伤, en: Burns}
start: q_airway
questions:
  - id: q_size
    text: {zh: "烧伤面积比患者的手臂大吗？", en: "Is the burn larger than the patient's arm?"}
    answers:
      - key: "yes"
        label: {zh: 是, en: "Yes"}
        determinant: 10-B-1
      - key: "no"
        label: {zh: 否, en: "No"}
        determinant: 10-C-1
  - id: q_airway
    text: {zh: "患者声音嘶哑吗？", en: "Is the patient's voice hoarse?"}
    answers:
      - key: "yes"
        label: {zh: 是, en: "Yes"}
        determinant: 10-A-1
      - key: "no"
        label: {zh: 否, en: "No"}
        next: q_size
determinants:
  - code: 10-A-1
    priority: 1
    plan: als_emergency
    facts: {zh: 疑似气道烧伤。, en: Possible airway burn.}
    safety:
      - {zh: 先离开着火的地方。, en: Get away from the fire first.}
    instructions:
      - {zh: 用凉水冲洗烧伤处。, en: Cool the burn with running water.}
  - code: 10-B-1
    priority: 2
    plan: als_emergency
    facts: {zh: 大面积烧伤。, en: Large burn.}
    instructions: []
  - code: 10-C-1
    priority: 3
    plan: bls_urgent
    facts: {zh: 小面积烧伤。, en: Small burn.}
    instructions: []
"""

RULES = {
    "schema": 1,
    "rules": [
        {"id": "child_burns", "determinants": ["10-*"], "ages": ["infant", "child"], "needs": ["burns"],
         "prefers": ["paediatric"], "reason": {"zh": "儿童烧伤", "en": "Burn in a child"}},
        {"id": "serious_burns", "determinants": ["10-A-*", "10-B-*"], "needs": ["burns"],
         "reason": {"zh": "重度烧伤", "en": "Serious burn"}},
    ],
}

NOTES = {
    "schema": 1,
    "intro": "Read this before signing.",
    "protocols": {
        "burns": {
            "guideline": "ERC 2021 First Aid; ABA burn-centre referral criteria.",
            "questions": {"q_airway": {"guideline": "Hoarseness = inhalation injury (ABA)."}},
            "determinants": {
                "10-A-1": {"guideline": "Airway burns threaten the airway within hours (ABA).",
                           "signoff": [{"concern": "No oxygen instruction is possible by phone."}]},
                "10-B-1": "Cool for 20 minutes (ERC 2021 First Aid).",
            },
        },
    },
}


@pytest.fixture
def protocol_dir(tmp_path: Path) -> Path:
    for name, text in (("plans.yaml", PLANS), ("case_entry.yaml", CASE_ENTRY), ("burns.yaml", BURNS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _render(directory: Path, notes: dict | None = None) -> str:
    return render_document(load_protocol_set(directory), DestinationRules(destination.parse_rules(RULES), "rules.yaml"),
                           parse_notes(notes if notes is not None else NOTES))


def _section(doc: str, start: str, end: str) -> str:
    return doc[doc.index(start):doc.index(end, doc.index(start))]


def test_committed_review_matches_the_protocol_files():
    committed = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    assert committed == generate(), (
        f"{DOC_PATH.name} is stale: the protocols, the destination rules or the notes changed. "
        f"Regenerate it with `{REGENERATE}` and review the diff.")


def test_every_review_note_names_a_question_or_determinant_the_protocols_have():
    protocol_set = load_protocol_set(clinical_review.DEFAULT_PROTOCOL_DIR)
    orphans = orphan_notes(protocol_set, load_notes())
    assert orphans == [], (f"docs/clinical-review.notes.yaml reviews {orphans}, which the protocols no longer "
                           "have: move each note to the question or determinant that replaced it")


def test_a_changed_priority_shows_in_the_table_and_the_hand_written_notes_survive(protocol_dir):
    before = _render(protocol_dir)
    burns = protocol_dir / "burns.yaml"
    burns.write_text(burns.read_text(encoding="utf-8").replace("priority: 2", "priority: 1"), encoding="utf-8")
    after = _render(protocol_dir)

    assert "| **10-B-1** | II | `als_emergency` |" in before
    assert "| **10-B-1** | I | `als_emergency` |" in after
    for doc in (before, after):
        assert "Cool for 20 minutes (ERC 2021 First Aid)." in doc
        assert "Hoarseness = inhalation injury (ABA)." in doc
        assert "Read this before signing." in doc


def test_the_document_names_the_protocol_set_version_it_reviews(protocol_dir):
    before = load_protocol_set(protocol_dir).version
    (protocol_dir / "burns.yaml").write_text(BURNS.replace('version: "7"', 'version: "8"'), encoding="utf-8")
    after = load_protocol_set(protocol_dir).version

    assert before != after
    assert f"`{after}`" in _render(protocol_dir)


def test_decision_points_are_numbered_in_asking_order_with_where_each_answer_leads(protocol_dir):
    doc = _render(protocol_dir)
    points = _section(doc, '<a id="p-burns">', "### Determinants")

    assert points.index("**Q1 `q_airway`**") < points.index("**Q2 `q_size`**")
    assert "`yes` 是 / *Yes* → **10-A-1** (level I)" in points
    assert "`no` 否 / *No* → Q2 `q_size`" in points
    entry = _section(doc, '<a id="p-case_entry">', '<a id="p-burns">')
    assert "`burns` 烧伤 / *Burns* → complaint [10 burns](#p-burns)" in entry


def test_determinant_rows_show_plan_resources_safety_and_age_dependent_destination(protocol_dir):
    doc = _render(protocol_dir)

    assert ("| **10-A-1** | I | `als_emergency` | ALS · emergency · lights+sirens | — | — | yes (1) | "
            "infant, child: burns, prefers paediatric `child_burns`; adult, older, unknown: burns `serious_burns` | "
            "Q1=yes |") in doc
    assert ("| **10-C-1** | III | `bls_urgent` | BLS · urgent · no lights | police | — | no | "
            "infant, child: burns, prefers paediatric `child_burns`; adult, older, unknown: — | Q2=no |") in doc
    assert "Get away from the fire first." in doc


def test_sign_off_list_gathers_concerns_first_and_unreviewed_determinants(protocol_dir):
    signoff = _section(_render(protocol_dir), "## Sign-off list", "### Signature")

    concern = signoff.index("No oxygen instruction is possible by phone.")
    missing = signoff.index("**10-C-1** — no guideline note for this determinant")
    assert concern < missing
    assert "10-B-1** — no guideline note" not in signoff


def test_a_note_on_a_determinant_the_files_no_longer_have_is_a_concern(protocol_dir):
    notes = yaml.safe_load(yaml.safe_dump(NOTES))
    notes["protocols"]["burns"]["determinants"]["10-B-9"] = "A note written for an older revision."

    assert orphan_notes(load_protocol_set(protocol_dir), parse_notes(notes)) == ["burns.10-B-9"]
    assert "`burns.10-B-9` — a note in docs/clinical-review.notes.yaml names something" in _render(protocol_dir, notes)


def test_a_misspelt_key_in_the_notes_is_refused_rather_than_dropped():
    notes = yaml.safe_load(yaml.safe_dump(NOTES))
    notes["protocols"]["burns"]["determinants"]["10-A-1"]["guidline"] = "typo"

    with pytest.raises(NotesError, match="guidline"):
        parse_notes(notes)


def test_check_mode_reports_a_stale_document_and_how_to_regenerate(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(clinical_review, "DOC_PATH", tmp_path / "clinical-review.md")
    (tmp_path / "clinical-review.md").write_text(textwrap.dedent("# an old review\n"), encoding="utf-8")
    monkeypatch.setattr(clinical_review, "generate", lambda: "# the current review\n")

    assert clinical_review.main(["--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert clinical_review.main([]) == 0
    assert clinical_review.main(["--check"]) == 0
