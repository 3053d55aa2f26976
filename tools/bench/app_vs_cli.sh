#!/bin/bash
# Run from the repository root with an X display (Xvfb :99 -screen 0 1280x800x24), xdotool and bc.
# App vs CLI training time for the panel's Quick recognizer run (fonts + drawings, 3 x 25,600, batch 128, from scratch).
export DISPLAY=:99
rm -rf /tmp/sp_home /tmp/sp_data /tmp/sp_cli; mkdir -p /tmp/sp_home /tmp/sp_cli
(HOME=/tmp/sp_home FUDE_DATA_DIR=/tmp/sp_data target/release/fude > /tmp/sp_app.log 2>&1 &)
sleep 4
W=$(xdotool search --name fude | head -1); xdotool windowsize $W 1280 800; sleep 1
xdotool mousemove 137 12 click 1; sleep 1
t0=$(date +%s.%N)
xdotool mousemove 29 456 click 1
xdotool mousemove 700 400
while true; do
  f=$(ls /tmp/sp_data/runs/*/last.json 2>/dev/null | head -1)
  if [ -n "$f" ] && grep -q '"epochs": 3' "$f"; then break; fi
  sleep 0.5
done
t1=$(date +%s.%N)
pkill -f sp_home; pkill -x fude
echo "app: $(echo "$t1 - $t0" | bc) s"
t2=$(date +%s.%N)
target/release/fude train --data fonts,drawings --epochs 3 --epoch-size 25600 --batch 128 --out /tmp/sp_cli/m > /tmp/sp_cli.log 2>&1
t3=$(date +%s.%N)
echo "cli: $(echo "$t3 - $t2" | bc) s"
grep "^epoch" /tmp/sp_cli.log
