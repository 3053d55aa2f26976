#!/usr/bin/env bash
# Regenerate every file in assets/fonts/ (subset kana fonts, UI font, licences,
# fonts.json, README.md). Needs: Debian/Ubuntu with apt (root or sudo),
# python3 + pip, npm. Downloads only from the Debian archive, PyPI and npm.
#
#   tools/fonts/make_fonts.sh
#
# Environment:
#   FUDE_FONTS_WORK   scratch dir for npm tarballs (default: a new /tmp dir, removed at exit)
#   SKIP_APT=1        do not run apt-get (packages must already be installed)
#   SKIP_PIP=1        do not pip install (fonttools/brotli must already be importable)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/assets/fonts"

DEB_PACKAGES=(
  fonts-kouzan-mouhitsu
  fonts-aoyagi-soseki
  fonts-klee
  fonts-seto
  fonts-yozvox-yozfont-standard-kana
  fonts-yozvox-yozfont-new-kana
  fonts-yozvox-yozfont-antique
  fonts-yozvox-yozfont-cute
  fonts-yusei-magic
  fonts-morisawa-bizud-mincho
  fonts-morisawa-bizud-gothic
  fonts-oradano-mincho-gsrr
  fonts-noto-cjk
  fonts-kiloji
  fonts-motoya-l-maruberi
)
# @fontsource packages, pinned (must match the versions in subset_fonts.py)
NPM_PACKAGES=(
  yuji-syuku@5.3.0
  yuji-boku@5.3.0
  zen-kurenaido@5.3.0
  hachi-maru-pop@5.3.0
  shippori-mincho@5.3.0
  kiwi-maru@5.3.0
  dotgothic16@5.3.0
  stick@5.3.0
  potta-one@5.3.0
  yuji-mai@5.3.0
  darumadrop-one@5.3.0
  yomogi@5.3.0
  slackside-one@5.3.0
  zen-old-mincho@5.3.0
  hina-mincho@5.2.8
  zen-maru-gothic@5.3.0
  mochiy-pop-one@5.3.0
)
PIP_PACKAGES=(fonttools==4.68.0 brotli==1.2.1)

# --- Debian packages ---------------------------------------------------------
if [[ "${SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# --- Python tools --------------------------------------------------------------
PY="${PYTHON:-python3}"
if [[ "${SKIP_PIP:-0}" != 1 ]]; then
  "$PY" -m pip install --quiet "${PIP_PACKAGES[@]}"
fi

# --- npm packages (woff2 sources) --------------------------------------------
if [[ -n "${FUDE_FONTS_WORK:-}" ]]; then
  WORK="$FUDE_FONTS_WORK"; mkdir -p "$WORK"
else
  WORK="$(mktemp -d /tmp/fude-fonts.XXXXXX)"
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/npm"
for spec in "${NPM_PACKAGES[@]}"; do
  name="${spec%@*}"; ver="${spec##*@}"
  dir="$WORK/npm/$name-$ver"
  if [[ ! -f "$dir/package/package.json" ]]; then
    tgz="$WORK/npm/fontsource-$name-$ver.tgz"
    if [[ ! -f "$tgz" ]]; then
      (cd "$WORK/npm" && npm pack --silent "@fontsource/$name@$ver" >/dev/null)
    fi
    mkdir -p "$dir"
    tar -xzf "$tgz" -C "$dir"
  fi
done

# --- build -------------------------------------------------------------------
"$PY" "$HERE/subset_fonts.py" --npm-dir "$WORK/npm" --out "$OUT"
echo "total size of assets/fonts: $(du -sh "$OUT" | cut -f1)"
