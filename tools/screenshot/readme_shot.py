#!/usr/bin/env python3
"""Makes the README screenshot: starts the app in a 1040x720 window on an X display (Xvfb here),
writes こ and い with real mouse strokes (xdotool), picks them with the 1 key, writes あ, and
captures the screen with ImageMagick's `import`.

    Xvfb :99 -screen 0 1040x720x24 &
    DISPLAY=:99 python3 tools/screenshot/readme_shot.py target/release/fude docs/screenshot.png

Needs: xdotool, imagemagick. The writing box's position is found from the app's layout at this
window size (the window sits at the screen's top-left corner under a bare X server).
"""
import json
import pathlib
import subprocess
import sys
import time

BOX = (123, 63, 638, 577)  # writing box on screen at 1040x720: left, top, right, bottom (since line mode)

KO = [[[0.32, 0.30], [0.45, 0.30], [0.60, 0.29], [0.57, 0.35]],
      [[0.28, 0.66], [0.40, 0.72], [0.56, 0.73], [0.72, 0.69]]]
I = [[[0.30, 0.28], [0.28, 0.42], [0.29, 0.56], [0.33, 0.67], [0.40, 0.72]],
     [[0.64, 0.36], [0.69, 0.44], [0.72, 0.52], [0.73, 0.60]]]


def xdo(*args):
    subprocess.run(["xdotool", *map(str, args)], check=True)


def at(p):
    l, t, r, b = BOX
    return round(l + p[0] * (r - l)), round(t + p[1] * (b - t))


def draw(strokes):
    for stroke in strokes:
        pts = []
        for a, b in zip(stroke, stroke[1:]):
            n = max(1, round(max(abs(b[0] - a[0]), abs(b[1] - a[1])) / 0.01))
            pts += [[a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n] for k in range(n)]
        pts.append(stroke[-1])
        xdo("mousemove", *at(pts[0]))
        xdo("mousedown", 1)
        for p in pts[1:]:
            xdo("mousemove", *at(p))
            time.sleep(0.008)
        xdo("mouseup", 1)
        time.sleep(0.3)


def example(name):
    d = json.loads((pathlib.Path(__file__).parents[2] / "assets/examples" / name).read_text())
    side = max(d["width"], d["height"])
    return [[[x / side, y / side] for x, y in s] for s in d["strokes"]]


def main():
    app, out = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen([app])
    try:
        time.sleep(4)
        # A bare X server has no window manager to give the window the keyboard.
        xdo("search", "--sync", "--name", "fude", "windowfocus", "--sync")
        for strokes in (KO, I):
            draw(strokes)
            time.sleep(0.5)
            xdo("key", "1")
            time.sleep(0.3)
        draw(example("a.json"))
        # Away from every widget: the status line's model names show a tooltip under the pointer.
        xdo("mousemove", 500, 680)
        time.sleep(1.0)
        subprocess.run(["import", "-window", "root", out], check=True)
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
