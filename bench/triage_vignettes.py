"""Clinical vignette suite: pass rate, and how many questions the dispatcher asks to reach
each vignette's determinant (median and maximum per chief complaint).

Every vignette of ``tests/data/vignettes`` is played as ``dispatch120 triage run`` plays a
case (``app.triage.vignettes.triage_run``). "Questions" are the ones actually asked (carried
answers are not asked): in all (case entry included) and inside the chief complaint. For
comparison, the complaint's longest possible path (``app.triage.check.summarize``, the same
figure as ``dispatch120 triage check``).

Pure Python in this process (no server). ``run()`` returns the figures; ``render()`` the table.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from app.triage.check import check_directory, summarize
from app.triage.loader import DEFAULT_PROTOCOL_DIR
from app.triage.vignettes import (
    DEFAULT_VIGNETTE_DIR,
    destination_rules,
    load_vignettes,
    play_all,
    summarize_results,
)


def run(directory: Path = DEFAULT_VIGNETTE_DIR, protocols: Path = DEFAULT_PROTOCOL_DIR) -> dict[str, Any]:
    """Play the suite once.

    Raises:
        RuntimeError: the vignette files or the protocol directory are not valid.
    """
    vignettes, problems = load_vignettes(directory)
    if problems:
        raise RuntimeError(f"{len(problems)} problem(s) in the vignettes, first: {problems[0]}")
    protocol_set, problems = check_directory(protocols, options=False)
    if protocol_set is None:
        raise RuntimeError(f"protocols not valid ({len(problems)} problem(s)), first: {problems[0]}")
    results = play_all(protocol_set, vignettes, destination_rules(protocols))
    summary = summarize_results(results).as_dict()
    longest = {row["id"]: row["longest_path"] for row in summarize(protocol_set)["protocols"]}  # type: ignore[index]
    for complaint, row in summary["by_complaint"].items():
        row["longest_possible_path"] = longest.get(complaint)
    to_arrest = [r.questions_to_arrest for r in results if r.questions_to_arrest is not None]
    summary["questions_to_arrest"] = {
        "vignettes": len(to_arrest),
        "median": statistics.median(to_arrest) if to_arrest else None,
        "max": max(to_arrest) if to_arrest else None,
    }
    summary["failures"] = [str(f) for r in results for f in r.failures]
    summary["per_vignette"] = [r.as_dict() for r in results]
    summary["protocol_set_version"] = protocol_set.version
    return summary


def _n(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def render(result: dict[str, Any]) -> str:
    lines = [
        f"Triage vignettes: {result['passed']}/{result['total']} pass ({result['pass_rate']:.0%}), "
        f"protocols {result['protocol_set_version']}",
        f"  {'complaint':<24}{'pass':>7}   questions asked med/max   in complaint med/max   longest path",
    ]
    for complaint, row in result["by_complaint"].items():
        lines.append(f"  {complaint:<24}{row['passed']:>3}/{row['vignettes']:<3}   "
                     f"{_n(row['questions_median']):>10} / {_n(row['questions_max']):<10}   "
                     f"{_n(row['in_complaint_median']):>7} / {_n(row['in_complaint_max']):<10}   "
                     f"{_n(row['longest_possible_path']):>6}")
    arrest = result["questions_to_arrest"]
    lines.append(f"  arrest recognised after (questions asked): median {_n(arrest['median'])}, "
                 f"max {_n(arrest['max'])} ({arrest['vignettes']} vignettes)")
    variants = ", ".join(f"{name} {row['passed']}/{row['vignettes']}" for name, row in sorted(result["by_variant"].items()))
    lines.append(f"  by variant: {variants}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run()))
