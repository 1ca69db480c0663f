"""The KPI report as JSON, CSV or HTML (from :func:`app.records.kpi.build_report`'s dictionary).

JSON is the report itself. CSV has one row per group (``group`` = overall/day/shift/seat/
priority/determinant/station, ``key`` = its value; a station line has only its runs' KPIs) and one column per number: a rate gives
``<kpi>`` (the fraction), ``<kpi>_num`` and ``<kpi>_den``; a duration gives ``<kpi>_mean``,
``<kpi>_p90`` and ``<kpi>_n``. HTML is a standalone page (no remote resources) with the same
tables, printable from a browser. The report's text is English: these files go to
quality review and IT, not to the dispatcher's screen (the seat's dashboard translates).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence

import orjson

from app.records.kpi import GROUPINGS, KPI_KEYS, Report

GROUP_ORDER = (*GROUPINGS, "station")  # by_station lines carry only kpi.STATION_KEYS

FORMATS = ("json", "csv", "html")


def to_json(report: Report) -> bytes:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n"


def _columns(key: str, value: object) -> list[tuple[str, object]]:
    if isinstance(value, dict) and "mean" in value:
        return [(f"{key}_mean", value["mean"]), (f"{key}_p90", value["p90"]), (f"{key}_n", value["n"])]
    if isinstance(value, dict):
        return [(key, value["value"]), (f"{key}_num", value["numerator"]), (f"{key}_den", value["denominator"])]
    return [(key, value)]


def _flat(kpis: Mapping[str, object], template: Mapping[str, object]) -> list[tuple[str, object]]:
    """The CSV columns of a line; a KPI the line lacks (a station's calls) gets empty cells."""
    return [(name, value if key in kpis else None)
            for key in KPI_KEYS for name, value in _columns(key, kpis.get(key, template[key]))]


def rows(report: Report) -> list[tuple[str, object, Mapping[str, object]]]:
    """``(group, key, kpis)`` for the overall line and every group line, in report order."""
    groups: dict[str, Sequence[Mapping[str, object]]] = {
        "day": report["by_day"], "shift": report["by_shift"], "seat": report["by_seat"],
        "priority": report["by_priority"], "determinant": report["by_determinant"], "station": report["by_station"],
    }
    out: list[tuple[str, object, Mapping[str, object]]] = [("overall", "", report["overall"])]
    for grouping in GROUP_ORDER:
        name = "date" if grouping == "day" else grouping
        out.extend((grouping, line[name], line) for line in groups[grouping])
    return out


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["from", "to", "tz", "group", "key"] + [name for name, _ in _flat(report["overall"], report["overall"])]
    writer.writerow(header)
    for group, key, kpis in rows(report):
        values = ["" if v is None else v for _, v in _flat(kpis, report["overall"])]
        writer.writerow([report["from"], report["to"], report["tz"], group, "" if key is None else key, *values])
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict) and "mean" in value:
        if value["mean"] is None:
            return "–"
        return f"{value['mean']:.1f} / {value['p90']:.1f} (n={value['n']})"
    if isinstance(value, dict):
        if value["value"] is None:
            return "–"
        return f"{value['value']:.4g} ({value['numerator']}/{value['denominator']})"
    return html.escape(str(value))


def to_html(report: Report) -> bytes:
    title = f"KPI report {report['from']} – {report['to']} ({report['tz']})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #999;padding:2px 6px;text-align:right}th{background:#eee}"
        "td:first-child{text-align:left}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>Durations: mean / p90 seconds (n). Rates: fraction (numerator/denominator). "
        "Formulas: docs/kpi.md.</p>",
    ]
    if report["empty"]:
        parts.append("<p><strong>Empty report: no call was offered and no incident was created in this "
                     "period.</strong></p>")
    current = None
    for group, key, kpis in rows(report):
        if group != current:
            if current is not None:
                parts.append("</table>")
            current = group
            parts.append(f"<h2>{html.escape(group)}</h2><table><tr><th>{html.escape(group)}</th>"
                         + "".join(f"<th>{html.escape(k)}</th>" for k in KPI_KEYS) + "</tr>")
        label = "(none)" if key is None else key
        parts.append(f"<tr><td>{html.escape(str(label))}</td>"
                     + "".join(f"<td>{_cell(kpis.get(k))}</td>" for k in KPI_KEYS) + "</tr>")
    parts.append("</table></body></html>\n")
    return "\n".join(parts).encode("utf-8")


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (one of :data:`FORMATS`). Raises ValueError for another format."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "html":
        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
