"""After a training run the trainer prints the after-action report: each trainee's calls,
the timeline against the targets, the score, and the trainee's history across sessions.

One headless run of the demo (the scripted good dispatcher on both seats, through the real
training centre) for the whole module; the reports are read back with pdftotext/pdffonts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app.__main__ import main
from app.resources import resource_path
from app.sim.after_action import build_report, read_history
from app.sim.headless import STYLES, run_scenario

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("training")
    workdir = base / "20261205-run-a"
    score = run_scenario(resource_path("scenarios", "demo.yaml"), STYLES["good"], workdir=workdir, time_scale=100)
    assert score.items
    return workdir


def report(workdir: Path, out: Path, fmt: str, *extra: str) -> None:
    assert main(["sim", "report", "--workdir", str(workdir), "--format", fmt, "--out", str(out), *extra]) == 0


def test_the_pdf_report_shows_each_trainee_the_timeline_against_the_targets(run_dir, tmp_path):
    out = tmp_path / "report.pdf"
    report(run_dir, out, "pdf", "--history", str(tmp_path / "history.json"))
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "培训讲评报告" in text and "培训数据，非真实记录" in text
    for trainee in ("调度席1 (seat-1)", "调度席2 (seat-2)"):
        assert trainee in text
    # The scores and verdicts printed are the ones computed from the log, trainee by trainee.
    computed = build_report(run_dir, history=tmp_path / "other.json", record=False)
    items = [i for t in computed.trainees for i in t.score.items]
    flat = " ".join(text.split())
    for trainee in computed.trainees:
        assert f"{trainee.name} ({trainee.seat_id}) 得分: {trainee.score.score:g} / 100" in flat
    assert text.count("未达标") == sum(i.ok is False for i in items)
    assert text.count("不计分") == sum(i.ok is None for i in items)
    assert text.count("达标") - text.count("未达标") == sum(i.ok is True for i in items) > 0
    for item in ("接听用时", "识别心脏骤停用时", "首次按压指导用时", "派车用时", "优先级正确", "车辆能力正确"):
        assert item in text
    assert "≤ 10 s" in text and "≤ 60 s" in text
    for step in ("来电到达", "接听", "询问: 不呼吸/呼吸不正常", "开始指导胸外按压", "派车"):
        assert step in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    [wqy] = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert wqy.split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, with a Unicode map


def test_the_html_report_is_standalone_and_in_chinese_by_default(run_dir, tmp_path):
    out = tmp_path / "report.html"
    report(run_dir, out, "html", "--history", str(tmp_path / "history.json"))
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "://" not in page  # no remote resources
    assert page.count("<h2>") == 2  # one section per trainee
    assert "接听用时" in page and "达标" in page
    english = tmp_path / "report-en.html"
    report(run_dir, english, "html", "--language", "en", "--history", str(tmp_path / "history.json"))
    assert "time to answer" in english.read_text(encoding="utf-8")


def test_each_trainee_has_a_history_across_sessions_and_a_rerun_report_is_counted_once(run_dir, tmp_path):
    history = tmp_path / "training-history.json"
    second = tmp_path / "20261206-run-b"
    shutil.copytree(run_dir, second)  # the same class, a second session
    report(run_dir, tmp_path / "a.pdf", "pdf", "--history", str(history))
    report(second, tmp_path / "b.html", "html", "--history", str(history))
    report(second, tmp_path / "b.pdf", "pdf", "--history", str(history))  # the same run again
    lines = read_history(history)
    assert sorted((h.run, h.trainee) for h in lines) == [
        (run_dir.name, "seat-1"), (run_dir.name, "seat-2"), (second.name, "seat-1"), (second.name, "seat-2")]
    text = subprocess.run(["pdftotext", str(tmp_path / "b.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "历次成绩" in text and run_dir.name in text and second.name in text


def test_the_history_goes_beside_the_runs_in_the_training_data_directory(run_dir, tmp_path):
    copy = tmp_path / "runs" / "20261207-run-c"
    shutil.copytree(run_dir, copy)
    assert main(["sim", "report", "--workdir", str(copy)]) == 0
    assert (copy / "after-action.html").is_file()
    assert [h.trainee for h in read_history(tmp_path / "runs" / "training-history.json")] == ["seat-1", "seat-2"]


def test_a_directory_without_a_training_run_is_refused_with_the_reason(tmp_path, capsys):
    assert main(["sim", "report", "--workdir", str(tmp_path)]) == 2
    assert "no training run here" in capsys.readouterr().err
