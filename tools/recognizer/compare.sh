#!/usr/bin/env bash
# Issue 21's held-out and proxy figures for one or more recognizers side by side, to decide whether a
# newly trained one may replace the bundled one ("no worse" on every held-out set; for each model
# but the bundled one, also the samples only one of the two reads right and the exact McNemar
# p-value, from `fude eval --against bundled`). Usage, from the
# repository root after a release build (`bundled` names the embedded model):
#   tools/recognizer/compare.sh bundled /work/runs/rec6/recognizer
# The size figures read as any full-size kana, the specks' and the tests' thresholds come from the
# tests, which read `$FUDE_MODEL` in place of the bundled model:
# `FUDE_MODEL=/work/runs/rec6/recognizer cargo test --release --test recognizer_size --test recognizer_specks -- --nocapture`
# (and `--test picture_framing -- --ignored` for the framing proxies). Under `--script kuzushiji` the
# bundled model reads pictures together with the bundled Kuzushiji reader (`models/kuzushiji/`), and a
# model from a file reads alone: for `bundled` that figure is also given for `models/recognizer` alone.
set -euo pipefail
FUDE=${FUDE:-target/release/fude}
S=${S:-../shared/data/kuzushiji-sample}
N="npz=$S/kuzushiji-sample-imgs.npz,$S/kuzushiji-sample-labels.npz,$S/kuzushiji-sample_classmap.csv"
[ $# -ge 1 ] || { sed -n 2,8p "$0"; exit 2; }

# Top-1 of each set in `fude eval --json` output, as "name=percent" words.
tops() { python3 -c "
import json,sys
for d in json.load(sys.stdin): print(f\"{d['name'].split(':')[0].replace('kuzushiji-sample-imgs','kuzushiji')}={100*d['accuracy']:.2f}\", end=' ')
print()"; }

for m in "$@"; do
  if [ "$m" = bundled ]; then opt=(); else opt=(--model "$m"); fi
  echo "== $m"
  echo "held-out, the network's own ranking: $("$FUDE" eval "${opt[@]}" --data "fonts,drawings,pens,scans,$N" --json 2>/dev/null | tops)"
  echo "held-out, Auto with no text:         $("$FUDE" eval "${opt[@]}" --script auto --data fonts,drawings,pens --json 2>/dev/null | tops)"
  echo "kuzushiji as pictures / as kuzushiji: $("$FUDE" eval "${opt[@]}" --as-pictures --data "$N" --json 2>/dev/null | tops)/ $("$FUDE" eval "${opt[@]}" --as-pictures --script kuzushiji --data "$N" --json 2>/dev/null | tops)"
  if [ "$m" = bundled ]; then
    echo "  as kuzushiji, the recognizer alone (no Kuzushiji reader): $("$FUDE" eval --model models/recognizer --as-pictures --script kuzushiji --data "$N" --json 2>/dev/null | tops)"
  fi
  echo "shrunk 0.6 / 0.75 read exactly (Auto): $("$FUDE" eval "${opt[@]}" --script auto --data drawings=shrunk0.6 --json 2>/dev/null | tops)/ $("$FUDE" eval "${opt[@]}" --script auto --data drawings=shrunk0.75 --json 2>/dev/null | tops)"
  if [ "$m" != bundled ]; then
    echo "against the bundled model, sample by sample (network's own ranking):"
    "$FUDE" eval "${opt[@]}" --against bundled --data "fonts,drawings,pens,scans,$N" 2>/dev/null | grep '^against' | sed 's/^against bundled: /  /'
  fi
  echo "lines (fude bench line): $("$FUDE" bench line "${opt[@]}" 2>/dev/null | grep '^line reader' | sed 's/.*words right: //')"
done
