#!/usr/bin/env bash
# The size figures of issue 21: full-size kana shrunk about their centres (read exactly, and read
# as any full-size kana), and small kana as written (read exactly: by the network's own ranking, and
# as the app reads a drawing, script Auto with no text, where ink centred high is a full-size kana;
# on the held-out drawings and on `pens`, drawings with real writers' habits and specks). Usage:
#   tools/recognizer/size_figures.sh [--model CKPT]      (from the repository root, after a release build)
set -euo pipefail
FUDE=${FUDE:-target/release/fude}
small='ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ'
for f in 0.6 0.75; do
  "$FUDE" eval "$@" --data "drawings=shrunk$f" --json | python3 -c "
import json,sys
small=set('$small'); d=json.load(sys.stdin)[0]
print(f'full-size kana shrunk to $f: {d[\"samples\"]} samples, read exactly {100*d[\"accuracy\"]:.2f}%')"
done
# Prints the small kana's share read exactly in one `fude eval --json` set on stdin, as "$1: ...".
small_kana() { python3 -c "
import json,sys
small=set('$small'); d=json.load(sys.stdin)[0]
rows=[c for c in d['per_class'] if c['ch'] in small]
n=sum(c['support'] for c in rows); ok=sum(c['recall']*c['support'] for c in rows)
print(f'$1: {n} samples, read exactly {100*ok/n:.2f}%')"; }
"$FUDE" eval "$@" --data drawings --json | small_kana "small kana as written (held-out drawings)"
for d in drawings pens; do
  "$FUDE" eval "$@" --script auto --data "$d" --json | small_kana "small kana as the app reads them (held-out $d, Auto)"
done
