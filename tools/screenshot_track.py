"""Take docs/screenshot-track-playback.png: an incident's playback with three ambulances on the way.

    QT_QPA_PLATFORM=offscreen python tools/screenshot_track.py [--output docs/screenshot-track-playback.png]
        [--language zh_CN|en] [--size 1200x800]

The real :class:`widgets.track_playback.TrackPlayback` plays the synthetic incident of
``bench/track_playback.py`` (three units converging on Monaco's port, the demo basemap), stopped
12 minutes into the incident (the third one on scene). Exit code 0 when saved.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

from PySide6.QtCore import QTimer  # noqa: E402

from bench.track_playback import synthetic_track  # noqa: E402
from widgets.seat_app import create_application  # noqa: E402
from widgets.track_playback import TrackPlayback  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot-track-playback.png")
    parser.add_argument("--language", default="zh_CN", choices=["zh_CN", "en"])
    parser.add_argument("--size", default="1200x800")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    qapp, _languages = create_application(sys.argv[:1], args.language)
    track = synthetic_track(3)
    # The third ambulance was closest: on scene after 9 minutes, where it stays.
    third = track["units"][2]
    third["statuses"] = [s for s in third["statuses"][:2]] + [{"t": track["start_t"] + 540, "status": "on_scene", "at": ""}]
    third["positions"] = [p for p in third["positions"] if p["t"] <= track["start_t"] + 540]
    window = TrackPlayback(track)
    window.resize(width, height)
    window.show()
    result = {"code": 1}

    def ready() -> None:
        window.set_speed(30)
        window.seek(window.start_t + 720)
        QTimer.singleShot(2500, grab)  # the basemap's canvas and the markers paint

    def grab() -> None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(args.output)):
            print(f"saved {args.output}")
            result["code"] = 0
        window.deleteLater()
        qapp.quit()

    window.map_view.ready.connect(lambda: QTimer.singleShot(300, ready))
    qapp.exec()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main())
