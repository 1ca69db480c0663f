"""The incident record as text, JSON and HTML (the PDF is :mod:`app.records.pdf`).

:func:`sections` lays the record out once, as titled tables of strings in the record's
language; the text, HTML and PDF renderers only draw those tables, so the three say the same.
JSON is the record itself (:func:`app.records.incident.build_record`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson

from app.records import texts
from app.records.incident import Record, local_time, location_text

if TYPE_CHECKING:
    from app.records.track import Track

FORMATS = ("text", "json", "html", "pdf")


@dataclass(frozen=True)
class Section:
    """A titled table; ``widths`` are relative column widths (the PDF uses them)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: Sequence[Sequence[str]]
    widths: tuple[int, ...]


def _w(key: str, lang: str, **fields: object) -> str:
    return texts.word(key, lang, **fields)


def header_lines(record: Record) -> list[tuple[str, str]]:
    """(field, value) of the record's head: id, times, seat, address, callers, priority, outcome."""
    lang, tz = record["language"], ZoneInfo(record["tz"])
    inc = record["incident"]
    closed = (f"{texts.label('close_reason', inc['close_reason'], lang)} · "
              f"{local_time(inc['milestones'].get('closed') or inc['updated_at'], tz)}"
              if inc["state"] == "closed" else _w("open", lang))
    callers = ", ".join(f"{c['caller_number']} ({c['call_id']})" for c in record["calls"]) or "–"
    return [
        (_w("incident", lang), record["incident_id"]),
        (_w("created", lang), f"{local_time(inc['created_at'], tz)} ({record['tz']})"),
        (_w("seat", lang), inc["seat_id"]),
        (_w("address", lang), inc["address"] or "–"),
        (_w("caller", lang), callers),
        (_w("callback", lang), inc["callback_number"] or "–"),
        (_w("priority", lang), texts.label("priority", inc["priority"], lang)),
        (_w("determinant", lang), record["determinant"] or "–"),
        (_w("patients", lang), str(inc["patients"])),
        (_w("state", lang), texts.label("incident_state", inc["state"], lang)),
        (_w("closed", lang), closed),
    ]


def _seconds(value: Any) -> str:
    return "–" if value is None else f"{value:g}"


def sections(record: Record) -> list[Section]:
    """The record's sections in print order (empty ones say so with a single row)."""
    lang, tz = record["language"], ZoneInfo(record["tz"])
    none = (_w("none", lang),)

    def t(ts: str | None) -> str:
        return local_time(ts, tz)[11:] if ts else "–"

    out: list[Section] = []
    def who(actor: dict[str, str]) -> str:
        # The server itself acts as "server" with the admin role (app.domain.common.SYSTEM).
        role = "system" if actor["id"] == "server" else actor["role"]
        return f"{actor['id']} ({texts.label('role', role, lang)})"

    timeline = [(local_time(e["ts"], tz)[11:], who(e["actor"]), e["text"]) for e in record["timeline"]]
    out.append(Section("timeline", _w("timeline", lang), (_w("time", lang), _w("who", lang), _w("event", lang)),
                       timeline, (14, 22, 64)))

    tri = record["triage"]
    path = []
    recorded = {(s["protocol"], s["protocol_version"]) for s in tri["path"]}
    for step in tri["path"]:
        path.append((t(step["at"]), step["protocol_title"], step["question_text"], step["answer_label"]))
    if tri["result"]:
        r = tri["result"]
        path.append((t(r["at"]), _w("result", lang), f"{_w('determinant', lang)} {r['determinant']}",
                     f"{texts.label('priority', r['priority'], lang)} · {r.get('plan_label') or r['plan']} · "
                     f"{texts.label('capability', r['capability'], lang)}"))
    notes = [_w("protocol_text_differs", lang, current=s["current_version"], recorded=version)
             for s in tri["path"] for (p, version) in recorded
             if s["protocol"] == p and s["current_version"] and s["current_version"] != version][:1]
    title = _w("triage", lang) + (f" {notes[0]}" if notes else "")
    out.append(Section("triage", title, (_w("time", lang), _w("protocol", lang), _w("question", lang), _w("answer", lang)),
                       path or [none + ("", "", "")], (12, 18, 46, 24)))

    units = []
    for u in record["units"]:
        steps = [f"{texts.label('unit_status', 'dispatched', lang)} {t(u['assigned_at'])}"]
        steps += [f"{texts.label('unit_status', s['status'], lang)} {t(s['at'])}" for s in u["statuses"]]
        units.append((f"{u['call_sign'] or u['unit_id']} ({u['unit_id']})", u["station_id"] or "–",
                      u["assigned_by"] or "–", " → ".join(steps)))
    out.append(Section("units", _w("units", lang), (_w("unit", lang), _w("station", lang), _w("seat", lang),
                                                     _w("time", lang)), units or [none + ("", "", "")],
                       (18, 12, 12, 58)))

    locations = []
    for loc in record["locations"]:
        if loc["kind"] == "located":
            source = f"{loc['by']}: {texts.label('location_source', loc['source'], lang)}"
            if loc.get("candidate_source"):
                source += f" ({texts.label('location_source', loc['candidate_source'], lang)})"
            where = f"{loc['lat']:.5f}, {loc['lon']:.5f} {loc.get('address') or ''}".strip()
        elif loc["kind"] == "switch_text":
            source, where = "switch", loc["address"]
        else:
            source, where = texts.label("location_source", loc.get("source"), lang), location_text(
                {**loc, "source": None}, lang).lstrip("– ")
        locations.append((t(loc["at"]), source, where))
    out.append(Section("locations", _w("locations", lang), (_w("time", lang), _w("source", lang),
                                                             _w("position", lang)),
                       locations or [none + ("", "")], (12, 28, 60)))

    link = record["caller_link"]
    link_rows = [(t(x["at"]), x["seat_id"], f"{x['link_id']} ({x['via']})") for x in link["links"]]
    for m in link["media"]:
        purged = f" ✗ {t(m['purged_at'])}" if m["purged_at"] else ""
        link_rows.append((t(m["at"]), _w("media", lang),
                          f"{m['media_id']} {m['content_type']} {m['bytes']:,} B sha256 {m['sha256'][:12]}…{purged}"))
    link_rows += [(t(c["at"]), _w("from_caller", lang) if c["from"] == "caller" else c["from"], c["text"])
                  for c in link["chat"]]
    link_rows += [(t(g["at"]), g["seat_id"], g["card_id"]) for g in link["guidance"]]
    link_rows.sort(key=lambda r: r[0])
    out.append(Section("caller_link", _w("caller_link", lang), (_w("time", lang), _w("who", lang), _w("details", lang)),
                       link_rows or [none + ("", "")], (12, 18, 70)))

    pre = []
    for p in record["prenotifications"]:
        answers = "; ".join(f"{texts.label('ack', a['response'], lang)} {t(a['at'])}"
                            + (f" “{a['note']}”" if a["note"] else "") for a in p["answers"]) or _w("no_answer", lang)
        eta = f"{_w('eta', lang)} {p['eta_s'] // 60} min" if p.get("eta_s") is not None else ""
        pre.append((t(p["sent_at"]), f"{p['hospital_name']} ({p['hospital_id']})",
                    f"{texts.label('complaint', p['complaint'], lang)} {p.get('unit_id') or ''} {eta}".strip(),
                    answers))
    out.append(Section("prenotifications", _w("prenotifications", lang),
                       (_w("time", lang), _w("hospital", lang), _w("details", lang), _w("hospital_answer", lang)),
                       pre or [none + ("", "", "")], (12, 26, 26, 36)))

    vitals = []
    for v in record["vitals"]:
        values = "  ".join(f"{texts.label('vital', k, lang)} {val:g}" for k, val in v.items()
                           if k in texts.LABELS["vital"] and isinstance(val, int | float))
        vitals.append((t(v.get("t")), v.get("unit_id") or "–", values))
    for s in record["strips"]:
        if s.get("heart_rate") is not None:
            vitals.append((t(s["start"]), s["unit_id"], f"{_w('hr_from_strip', lang)} {s['heart_rate']:.0f}/min"))
    vitals.sort(key=lambda row: row[0])
    out.append(Section("vitals", _w("vitals", lang), (_w("time", lang), _w("unit", lang), _w("details", lang)),
                       vitals or [none + ("", "")], (12, 14, 74)))

    strips = [(t(s["at"]), s["unit_id"], f"{s['channel']} {_seconds(s['seconds'])} s "
               f"{texts.label('strip_reason', s['reason'], lang)}"
               + (f" ({s['requested_by']})" if s.get("requested_by") else "")
               + ("" if s["samples"] is not None else f" — {_w('strip_missing', lang)}")) for s in record["strips"]]
    out.append(Section("strips", _w("strips", lang), (_w("time", lang), _w("unit", lang), _w("details", lang)),
                       strips or [none + ("", "")], (12, 14, 74)))

    notes_rows = [(t(n["at"]), n["by"], n["text"]) for n in record["notes"]]
    out.append(Section("notes", _w("notes", lang), (_w("time", lang), _w("who", lang), _w("details", lang)),
                       notes_rows or [none + ("", "")], (12, 14, 74)))
    return out


def to_text(record: Record) -> bytes:
    lang = record["language"]
    lines = [_w("title", lang), "=" * 40]
    lines += [f"{k}: {v}" for k, v in header_lines(record)]
    for section in sections(record):
        lines += ["", section.title, "-" * 40]
        for row in section.rows:
            lines.append("  ".join(cell for cell in row if cell))
    lines += ["", _w("generated", lang, seq=record["last_seq"])]
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_json(record: Record) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def to_html(record: Record) -> bytes:
    lang = record["language"]
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{esc(_w('title', lang))} {esc(record['incident_id'])}</title>",
        "<style>body{font-family:sans-serif;max-width:60em}table{border-collapse:collapse;font-size:13px;width:100%}"
        "td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}"
        "dt{font-weight:bold;float:left;width:9em}dd{margin-left:10em}</style></head><body>",
        f"<h1>{esc(_w('title', lang))}</h1><dl>",
    ]
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in header_lines(record)]
    parts.append("</dl>")
    for section in sections(record):
        parts.append(f"<h2>{esc(section.title)}</h2><table><tr>"
                     + "".join(f"<th>{esc(h)}</th>" for h in section.headers) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in section.rows]
        parts.append("</table>")
    parts.append(f"<p><small>{esc(_w('generated', lang, seq=record['last_seq']))}</small></p></body></html>\n")
    return "\n".join(parts).encode("utf-8")


def render_record(record: Record, fmt: str, *, track: Track | None = None, city_dir: Path | None = None) -> bytes:
    """The record in ``fmt`` (one of :data:`FORMATS`). Raises ValueError for another format.

    ``track`` and ``city_dir`` are for the PDF's map (:func:`app.records.pdf.record_pdf`).
    """
    if fmt == "text":
        return to_text(record)
    if fmt == "json":
        return to_json(record)
    if fmt == "html":
        return to_html(record)
    if fmt == "pdf":
        from app.records.pdf import record_pdf

        return record_pdf(record, track=track, city_dir=city_dir)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
