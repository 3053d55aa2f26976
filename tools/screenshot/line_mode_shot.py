#!/usr/bin/env python3
"""Makes the README's line-mode screenshot: starts the app in its 1040x720 window on an X display
(Xvfb here), switches to line mode, writes ひとりひとり with real mouse strokes (xdotool; the
strokes of assets/examples/line-hitorihitori.json, a word drawing traced from a training font by
fude::data::line_words), clicks its second character to show that character's candidates, and
captures the screen with ImageMagick's `import`.

    Xvfb :99 -screen 0 1280x800x24 &
    DISPLAY=:99 XDG_DATA_HOME=$(mktemp -d) python3 tools/screenshot/line_mode_shot.py target/release/fude docs/line-mode.png

(A fresh XDG_DATA_HOME: the app starts in one-character mode with nothing remembered.) Needs:
xdotool, imagemagick. The toggle's and the line canvas's positions are the app's layout at this
window size (the window sits at the screen's top-left corner under a bare X server).
"""
import json
import pathlib
import subprocess
import sys
import time

TOGGLE = (137, 43)  # "A line" on screen at 1040x720
LINE = (8, 63, 147.0)  # line canvas on screen at 1040x720: left, top, height (one cell)
SECOND_CHARACTER = (94, 248)  # the reading's second character, under the canvas


def xdo(*args):
    subprocess.run(["xdotool", *map(str, args)], check=True)


def at(p):
    left, top, h = LINE
    return round(left + p[0] * h), round(top + p[1] * h)


def draw(strokes):
    for stroke in strokes:
        xdo("mousemove", *at(stroke[0]))
        xdo("mousedown", 1)
        for a, b in zip(stroke, stroke[1:]):
            n = max(1, round(max(abs(b[0] - a[0]), abs(b[1] - a[1])) / 0.01))
            for k in range(1, n + 1):
                xdo("mousemove", *at([a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n]))
        time.sleep(0.02)
        xdo("mouseup", 1)
        time.sleep(0.2)


def line_example(name):
    d = json.loads((pathlib.Path(__file__).parents[2] / "assets/examples" / name).read_text())
    return [[[x / d["height"], y / d["height"]] for x, y in s] for s in d["strokes"]]


def main():
    app, out = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen([app])
    try:
        time.sleep(4)
        xdo("search", "--sync", "--name", "fude", "windowfocus", "--sync")
        xdo("mousemove", *TOGGLE, "click", 1)
        time.sleep(0.5)
        draw(line_example("line-hitorihitori.json"))
        time.sleep(1.0)
        xdo("mousemove", *SECOND_CHARACTER, "click", 1)
        xdo("mousemove", 700, 450)
        time.sleep(1.0)
        subprocess.run(["import", "-window", "root", out], check=True)
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
