"""Take docs/screenshot-trainer-console.png (the trainer's console during a run) and
docs/screenshot-after-action.png (page 1 of that run's after-action PDF, ``pdftoppm -r 80``).

The console starts a real training centre for the demo scenario at 10×; both seats are
staffed by the scripted dispatcher of the headless runs (``app.sim.headless``, "slow"
style: some targets missed) through the real server; the trainer speaks one line as a caller. Runs offscreen
(or under Xvfb)::

    .venv/bin/python tools/screenshot_trainer.py [--docs docs] [--language zh_CN|en] [--seconds 25]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.resources import resource_path  # noqa: E402
from app.sim.headless import STYLES, play  # noqa: E402
from app.sim.scenario import load_scenario  # noqa: E402

RUN_LIMIT_S = 180.0  # wall seconds the scripted trainees get to finish the first round


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--language", default="zh_CN")
    parser.add_argument("--seconds", type=float, default=40.0, help="at most this many wall seconds of run")
    parser.add_argument("--style", choices=sorted(STYLES), default="slow",
                        help="the scripted trainees' style (default: %(default)s: some targets missed)")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="dispatch120-shot-"))
    os.environ["XDG_DATA_HOME"] = str(data)  # the run's directory and history: not the user's

    from widgets import seat_app
    from widgets.trainer_console import TrainerConsole

    qapp, languages = seat_app.create_application(["dispatch120"], args.language)
    demo = resource_path("scenarios", "demo.yaml")
    console = TrainerConsole(scenarios=[demo])
    console.resize(1440, 860)
    console.show()
    console.speed_box.setValue(10)
    console.start_run()
    if console.session is None:
        print("the training centre did not start", file=sys.stderr)
        return 1
    scenario = load_scenario(demo)
    session = console.session

    def staff() -> None:
        # The scripted trainees work the first round; the shot is taken while they do.
        try:
            asyncio.run(play(scenario, session.url, dict(session.seats), STYLES[args.style], time_scale=10,
                             timeout_s=RUN_LIMIT_S))
        except Exception as exc:  # the report then shows the calls left unworked
            print(f"the scripted trainees stopped: {exc!r}", file=sys.stderr)

    worker = threading.Thread(target=staff, daemon=True)
    worker.start()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            qapp.processEvents()
            time.sleep(0.02)

    # The trainer speaks as the caller of the cardiac arrest (the demo's call #1) while it is answered,
    # and the shot is taken while that call is still on the line.
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        pump(0.1)
        record = next((r for r in console.log.calls.values() if r.index == 1), None)
        if record is not None and len(record.caller_lines) >= 3 and record.ended is None:
            console.select_call(record.call_id)
            console.say_edit.setText("救护车还要多久？他嘴唇发紫了！")
            console.say()
            pump(1.0)
            console.select_call(record.call_id)
            console.say_edit.setText("他好像又喘了一下……")  # typed, not yet said: what the shot shows
            break
    pump(0.5)
    args.docs.mkdir(parents=True, exist_ok=True)
    shot = args.docs / "screenshot-trainer-console.png"
    console.grab().save(str(shot))
    print(shot)
    # The report is of the whole first round: let the trainees finish it.
    while worker.is_alive():
        pump(0.5)
    workdir = Path(session.workdir)
    console.shutdown()
    worker.join(timeout=15)

    from app.sim.after_action import write_report

    pdf = write_report(workdir, data / "after-action.pdf", fmt="pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(data / "page")], check=True)
    page = args.docs / "screenshot-after-action.png"
    shutil.copyfile(data / "page.png", page)
    print(page)
    seat_app.dispose(console, languages)
    shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
