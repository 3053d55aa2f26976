#!/usr/bin/env python3
"""Build the bundled kana subset fonts in assets/fonts/ (see make_fonts.sh).

Reads the source fonts from installed Debian packages (/usr/share/fonts/...)
and from unpacked @fontsource npm tarballs (--npm-dir), subsets each one to
the target kana it really covers, and writes:

  assets/fonts/<name>.ttf              training/validation fonts (TrueType, glyf)
  assets/fonts/<name>.LICENSE.txt      licence of each font
  assets/fonts/ui/<name>.ttf           one UI font (+ licence)
  assets/fonts/fonts.json              metadata of the training/validation fonts
  assets/fonts/README.md               table + how to regenerate

Output is deterministic for the same inputs and fontTools version
(timestamps are copied from the source font, not taken from the clock).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

# The 180 classes: hiragana, hiragana iteration marks, katakana, katakana iteration marks.
TARGET = (list(range(0x3041, 0x3097)) + [0x309D, 0x309E]
          + list(range(0x30A1, 0x30FB)) + [0x30FD, 0x30FE])
assert len(TARGET) == 180

FS = "/usr/share/fonts"

# One entry per training/validation font.
#   name:   output basename (assets/fonts/<name>.ttf)
#   src:    ("debian", package, path) or ("npm", package, version, file in files/)
#   rename: new family name when the licence requires it (OFL Reserved Font Name)
FONTS = [
    # --- brush / calligraphic ---
    dict(name="kouzan-mouhitsu", style="brush", license="public-domain", split="train",
         src=("debian", "fonts-kouzan-mouhitsu", f"{FS}/truetype/kouzan-mouhitsu/kouzan-mouhitsu.ttf")),
    dict(name="aoyagi-soseki", style="brush", license="public-domain", split="train",
         src=("debian", "fonts-aoyagi-soseki", f"{FS}/truetype/aoyagi-soseki/aoyagi-soseki.ttf")),
    dict(name="yuji-syuku", style="brush", license="OFL-1.1", split="train",
         src=("npm", "yuji-syuku", "5.3.0", "yuji-syuku-japanese-400-normal.woff2")),
    # (fonts-aoyagi-kouzan-t is not used: its kana are the same outlines as Kouzan Mouhitsu's.)
    dict(name="yuji-mai", style="brush", license="OFL-1.1", split="train",
         src=("npm", "yuji-mai", "5.3.0", "yuji-mai-japanese-400-normal.woff2")),
    dict(name="darumadrop-one", style="brush", license="OFL-1.1", split="train",
         src=("npm", "darumadrop-one", "5.3.0", "darumadrop-one-japanese-400-normal.woff2")),
    dict(name="yuji-boku", style="brush", license="OFL-1.1", split="validation",
         src=("npm", "yuji-boku", "5.3.0", "yuji-boku-japanese-400-normal.woff2")),
    # --- handwriting ---
    dict(name="klee-one", style="handwriting", license="OFL-1.1", split="validation",
         src=("debian", "fonts-klee", f"{FS}/truetype/klee/KleeOne-Regular.ttf")),
    dict(name="seto", style="handwriting", license="OFL-1.1", split="train",
         src=("debian", "fonts-seto", f"{FS}/truetype/seto/setofont.ttf")),
    # YOzFont declares the Reserved Font Name "Y.OzFont*" -> renamed.
    dict(name="fude-pen-y", style="handwriting", license="OFL-1.1", split="train",
         rename="Fude Pen Y",
         src=("debian", "fonts-yozvox-yozfont-standard-kana", f"{FS}/truetype/yozvox-yozfont/YOzRSF.ttf")),
    # Other YOzFont kana sets (same designer, same Reserved Font Name -> renamed). Their kana
    # really differ from Fude Pen Y's: mean IoU of the rendered 180 kana vs YOzRSF is 0.51
    # (new kana), 0.44 (antique), 0.25 (cute). The "edu" set (YOzREF) is not used: its kana
    # are nearly the new-kana outlines (IoU 0.95 vs YOzRNF).
    dict(name="fude-pen-y-new", style="handwriting", license="OFL-1.1", split="train",
         rename="Fude Pen Y New",
         src=("debian", "fonts-yozvox-yozfont-new-kana", f"{FS}/truetype/yozvox-yozfont/YOzRNF.ttf")),
    dict(name="fude-pen-y-antique", style="handwriting", license="OFL-1.1", split="train",
         rename="Fude Pen Y Antique",
         src=("debian", "fonts-yozvox-yozfont-antique", f"{FS}/truetype/yozvox-yozfont/YOzRAF.ttf")),
    dict(name="fude-pen-y-cute", style="handwriting", license="OFL-1.1", split="train",
         rename="Fude Pen Y Cute",
         src=("debian", "fonts-yozvox-yozfont-cute", f"{FS}/truetype/yozvox-yozfont/YOzRCF.ttf")),
    dict(name="zen-kurenaido", style="handwriting", license="OFL-1.1", split="train",
         src=("npm", "zen-kurenaido", "5.3.0", "zen-kurenaido-japanese-400-normal.woff2")),
    dict(name="yusei-magic", style="handwriting", license="OFL-1.1", split="train",
         src=("debian", "fonts-yusei-magic", f"{FS}/truetype/yusei-magic/YuseiMagic-Regular.ttf")),
    dict(name="hachi-maru-pop", style="handwriting", license="OFL-1.1", split="train",
         src=("npm", "hachi-maru-pop", "5.3.0", "hachi-maru-pop-japanese-400-normal.woff2")),
    dict(name="kiloji", style="handwriting", license="BSD-3-Clause", split="train",
         src=("debian", "fonts-kiloji", f"{FS}/truetype/kiloji/kiloji.ttf")),
    dict(name="yomogi", style="handwriting", license="OFL-1.1", split="train",
         src=("npm", "yomogi", "5.3.0", "yomogi-japanese-400-normal.woff2")),
    dict(name="slackside-one", style="handwriting", license="OFL-1.1", split="train",
         src=("npm", "slackside-one", "5.3.0", "slackside-one-japanese-400-normal.woff2")),
    # --- mincho ---
    dict(name="zen-old-mincho", style="mincho", license="OFL-1.1", split="train",
         src=("npm", "zen-old-mincho", "5.3.0", "zen-old-mincho-japanese-400-normal.woff2")),
    dict(name="hina-mincho", style="mincho", license="OFL-1.1", split="train",
         src=("npm", "hina-mincho", "5.2.8", "hina-mincho-japanese-400-normal.woff2")),
    dict(name="bizud-mincho", style="mincho", license="OFL-1.1", split="train",
         src=("debian", "fonts-morisawa-bizud-mincho", f"{FS}/truetype/bizud-mincho/BIZUDMincho-Regular.ttf")),
    dict(name="oradano-mincho", style="mincho", license="Oradano-custom-permissive", split="train",
         src=("debian", "fonts-oradano-mincho-gsrr", f"{FS}/truetype/oradano-mincho/OradanoGSRR.ttf")),
    dict(name="shippori-mincho", style="mincho", license="OFL-1.1", split="validation",
         src=("npm", "shippori-mincho", "5.3.0", "shippori-mincho-japanese-400-normal.woff2")),
    # --- gothic / rounded ---
    # (fonts-motoya-l-cedar is not used: a gothic whose kana are the Motoya L Maruberi
    # skeletons with square ends, mean IoU 0.82 vs motoya-maruberi.)
    dict(name="bizud-gothic", style="gothic", license="OFL-1.1", split="train",
         src=("debian", "fonts-morisawa-bizud-gothic", f"{FS}/truetype/bizud-gothic/BIZUDGothic-Regular.ttf")),
    dict(name="kiwi-maru", style="rounded", license="OFL-1.1", split="train",
         src=("npm", "kiwi-maru", "5.3.0", "kiwi-maru-japanese-400-normal.woff2")),
    dict(name="zen-maru-gothic", style="rounded", license="OFL-1.1", split="train",
         src=("npm", "zen-maru-gothic", "5.3.0", "zen-maru-gothic-japanese-400-normal.woff2")),
    # Apache-2.0: the Debian copyright file only points at common-licenses, so
    # the full licence text is appended (extra_license).
    dict(name="motoya-maruberi", style="rounded", license="Apache-2.0", split="train",
         extra_license="/usr/share/common-licenses/Apache-2.0",
         src=("debian", "fonts-motoya-l-maruberi", f"{FS}/truetype/motoya-l-maruberi/MTLmr3m.ttf")),
    # --- decorative ---
    dict(name="mochiy-pop-one", style="decorative", license="OFL-1.1", split="train",
         src=("npm", "mochiy-pop-one", "5.3.0", "mochiy-pop-one-japanese-400-normal.woff2")),
    dict(name="dotgothic16", style="decorative", license="OFL-1.1", split="train",
         src=("npm", "dotgothic16", "5.3.0", "dotgothic16-japanese-400-normal.woff2")),
    dict(name="stick", style="decorative", license="OFL-1.1", split="train",
         src=("npm", "stick", "5.3.0", "stick-japanese-400-normal.woff2")),
    dict(name="potta-one", style="decorative", license="OFL-1.1", split="train",
         src=("npm", "potta-one", "5.3.0", "potta-one-japanese-400-normal.woff2")),
]

UI_FONT = dict(
    name="noto-sans-cjk-jp", license="OFL-1.1",
    src=("debian", "fonts-noto-cjk", f"{FS}/opentype/noto/NotoSansCJK-Regular.ttc"),
    ttc_index=0,  # Noto Sans CJK JP
)
UI_CODEPOINTS = sorted(set(
    list(range(0x20, 0x7F))          # ASCII
    + list(range(0xA0, 0x100))       # Latin-1 punctuation/symbols/letters
    + list(range(0x2010, 0x2028))    # general punctuation (incl. U+2026)
    + list(range(0x2190, 0x2194))    # arrows
    + list(range(0x3000, 0x3040))    # CJK symbols and punctuation
    + list(range(0x3041, 0x30A0))    # hiragana
    + list(range(0x30A0, 0x3100))    # katakana
    + list(range(0xFF01, 0xFF5F))    # fullwidth forms
    + [0x2713, 0x2714, 0x2715, 0x2716, 0x2717, 0x2718]  # check / cross marks
))

STYLE_ORDER = ["brush", "handwriting", "mincho", "gothic", "rounded", "decorative"]


def U(cp):
    return "U+%04X" % cp


def deb_version(pkg):
    return subprocess.check_output(
        ["dpkg-query", "-W", "-f=${Version}", pkg], text=True).strip()


def outline_ops(glyphset, gname):
    pen = DecomposingRecordingPen(glyphset)
    glyphset[gname].draw(pen)
    return pen.value


def has_contours(ops):
    return any(op in ("lineTo", "qCurveTo", "curveTo") for op, _ in ops)


def real_coverage(font, codepoints):
    """Codepoints whose glyph is really drawn: mapped, not .notdef, has contours
    (composites decomposed), and not a copy of the .notdef outline."""
    cmap = font.getBestCmap()
    gs = font.getGlyphSet()
    order = font.getGlyphOrder()
    notdef_ops = outline_ops(gs, order[0])
    covered, missing = [], []
    for cp in codepoints:
        g = cmap.get(cp)
        ok = False
        if g is not None and g != order[0]:
            ops = outline_ops(gs, g)
            ok = has_contours(ops) and (not has_contours(notdef_ops) or ops != notdef_ops)
        (covered if ok else missing).append(cp)
    return covered, missing


# (base, voiced) pairs: a voiced kana whose outline equals its base lacks the
# (han)dakuten marks, i.e. the font only has a placeholder copy -> missing.
VOICED_PAIRS = (
    [(b, b + 1) for b in list(range(0x304B, 0x3062, 2)) + [0x3064, 0x3066, 0x3068]]
    + [(b, b + d) for b in range(0x306F, 0x307E, 3) for d in (1, 2)]
    + [(0x3046, 0x3094), (0x309D, 0x309E)]
    + [(b + 0x60, v + 0x60) for b, v in
       [(b, b + 1) for b in list(range(0x304B, 0x3062, 2)) + [0x3064, 0x3066, 0x3068]]
       + [(b, b + d) for b in range(0x306F, 0x307E, 3) for d in (1, 2)]
       + [(0x3046, 0x3094)]]
    + [(0x30EF, 0x30F7), (0x30F0, 0x30F8), (0x30F1, 0x30F9), (0x30F2, 0x30FA), (0x30FD, 0x30FE)]
)


def drop_undotted_voiced(font, covered):
    """Remove voiced kana that draw exactly the same outline as their base kana."""
    cmap = font.getBestCmap()
    gs = font.getGlyphSet()
    cov = set(covered)
    bad = set()
    for base, voiced in VOICED_PAIRS:
        if base in cov and voiced in cov and \
                outline_ops(gs, cmap[base]) == outline_ops(gs, cmap[voiced]):
            bad.add(voiced)
    return [c for c in covered if c not in bad], sorted(bad)


def duplicate_outlines(font, codepoints):
    """Groups of codepoints that draw an identical outline (reported for review)."""
    cmap = font.getBestCmap()
    gs = font.getGlyphSet()
    seen = {}
    for cp in codepoints:
        key = hashlib.sha1(repr(outline_ops(gs, cmap[cp])).encode()).hexdigest()
        seen.setdefault(key, []).append(cp)
    return [v for v in seen.values() if len(v) > 1]


def load(path, ttc_index=None):
    kw = dict(recalcTimestamp=False, recalcBBoxes=True)
    if ttc_index is not None:
        kw["fontNumber"] = ttc_index
    font = TTFont(path, **kw)
    font.flavor = None  # woff2 -> plain sfnt
    return font


def subset_options():
    o = subset.Options()
    o.layout_features = []          # no GSUB/GPOS features needed to draw single kana
    o.layout_closure = False
    o.hinting = False               # drop TrueType instructions / CFF hints
    o.desubroutinize = True
    o.notdef_outline = True         # keep a visible .notdef box
    o.notdef_glyph = True
    o.glyph_names = False           # post format 3
    o.legacy_kern = False
    o.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14]
    o.name_legacy = False           # drop Mac names
    o.name_languages = [0x0409]     # English (Windows) names only
    o.prune_unicode_ranges = True
    o.recalc_timestamp = False
    o.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "vhea", "vmtx",
                      "VORG", "DSIG", "gasp", "hdmx", "LTSH", "VDMX", "kern", "mort",
                      "morx", "FFTM", "meta", "PfEd", "TeX ", "BDF "]
    return o


def do_subset(font, codepoints):
    s = subset.Subsetter(options=subset_options())
    s.populate(unicodes=codepoints)
    s.subset(font)
    for t in ("GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG"):
        if t in font:
            del font[t]
    return font


def set_names(font, family, subfamily="Regular"):
    """Rename the family (all relevant name records)."""
    name = font["name"]
    full = family if subfamily == "Regular" else f"{family} {subfamily}"
    ps = (family.replace(" ", "") + "-" + subfamily.replace(" ", ""))
    for nid in (1, 2, 3, 4, 6, 16, 17, 18, 21, 22):
        name.removeNames(nameID=nid)
    name.setName(family, 1, 3, 1, 0x409)
    name.setName(subfamily, 2, 3, 1, 0x409)
    name.setName(f"{ps};fude-subset", 3, 3, 1, 0x409)
    name.setName(full, 4, 3, 1, 0x409)
    name.setName(ps, 6, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [ps]
        top = cff.topDictIndex[0]
        for attr, val in (("FamilyName", family), ("FullName", full)):
            if hasattr(top, attr):
                setattr(top, attr, val)


def cff_to_glyf(font, max_err=1.0):
    """Convert CFF outlines to TrueType quadratic outlines (fontTools otf2ttf recipe)."""
    order = font.getGlyphOrder()
    gs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for g in order:
        pen = TTGlyphPen(gs)
        gs[g].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf[g] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for a in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
              "maxStackElements", "maxSizeOfInstructions"):
        setattr(maxp, a, 0)
    maxp.numGlyphs = len(order)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = None
    font.sfntVersion = "\x00\x01\x00\x00"


def licence_header(entry, family, source):
    return (f"Font file : {entry['name']}.ttf (family \"{family}\")\n"
            f"Source    : {source}\n"
            f"Licence   : {entry['license']}\n"
            f"This file is a Modified Version (subset) of the original font, made by\n"
            f"tools/fonts/make_fonts.sh: only the glyphs for the listed characters are kept,\n"
            f"hinting and OpenType layout tables are removed.\n"
            + (f"The family was renamed from \"{entry['orig_family']}\" to \"{family}\" because the\n"
               f"original licence declares a Reserved Font Name.\n" if entry.get("rename") else "")
            + "The original licence / copyright statement follows.\n"
            + "=" * 78 + "\n\n")


def resolve(src, npm_dir):
    """-> (path of font file, source string, path of licence text)"""
    if src[0] == "debian":
        _, pkg, path = src
        return path, f"debian:{pkg} {deb_version(pkg)}", f"/usr/share/doc/{pkg}/copyright"
    _, pkg, ver, fname = src
    base = os.path.join(npm_dir, f"{pkg}-{ver}", "package")
    meta = json.load(open(os.path.join(base, "package.json")))
    assert meta["version"] == ver, (pkg, meta["version"], ver)
    return (os.path.join(base, "files", fname), f"npm:@fontsource/{pkg}@{ver}",
            os.path.join(base, "LICENSE"))


def build_training_font(entry, npm_dir, out_dir):
    path, source, lic = resolve(entry["src"], npm_dir)
    font = load(path)
    entry["orig_family"] = font["name"].getDebugName(16) or font["name"].getDebugName(1)
    covered, missing = real_coverage(font, TARGET)
    covered, undotted = drop_undotted_voiced(font, covered)
    missing = sorted(missing + undotted)
    for c in undotted:
        print(f"   note: {entry['name']}: {U(c)} {chr(c)} has no (han)dakuten (same outline "
              f"as its base kana) -> counted as missing")
    do_subset(font, covered)
    if entry.get("rename"):
        set_names(font, entry["rename"])
    if "CFF " in font:
        cff_to_glyf(font)
    out = os.path.join(out_dir, entry["name"] + ".ttf")
    font.save(out)
    # verify the written file
    chk = load(out)
    cov2, _ = real_coverage(chk, covered)
    assert cov2 == covered, (entry["name"], "lost glyphs after subsetting")
    assert not (set(chk.getBestCmap()) - set(covered)), (entry["name"], "extra codepoints")
    family = chk["name"].getDebugName(16) or chk["name"].getDebugName(1)
    dups = duplicate_outlines(chk, covered)
    with open(os.path.join(out_dir, entry["name"] + ".LICENSE.txt"), "w") as f:
        f.write(licence_header(entry, family, source))
        f.write(open(lic, encoding="utf-8", errors="replace").read())
        if entry.get("extra_license"):
            f.write("\n" + "=" * 78 + "\nFull text of the licence named above ("
                    + entry["extra_license"] + "):\n\n")
            f.write(open(entry["extra_license"], encoding="utf-8").read())
    return {
        "file": entry["name"] + ".ttf",
        "family": family,
        "style": entry["style"],
        "license": entry["license"],
        "source": source,
        "split": entry["split"],
        "coverage": len(covered),
        "missing": [U(c) for c in missing],
    }, dups, os.path.getsize(out)


def build_ui_font(npm_dir, out_dir):
    e = UI_FONT
    path, source, lic = resolve(e["src"], npm_dir)
    font = load(path, e.get("ttc_index"))
    cmap = font.getBestCmap()
    present = [c for c in UI_CODEPOINTS if c in cmap]
    absent = [c for c in UI_CODEPOINTS if c not in cmap]
    do_subset(font, present)
    if "CFF " in font:
        cff_to_glyf(font)
    ui_dir = os.path.join(out_dir, "ui")
    os.makedirs(ui_dir, exist_ok=True)
    out = os.path.join(ui_dir, e["name"] + ".ttf")
    font.save(out)
    chk = load(out)
    assert set(chk.getBestCmap()) == set(present)
    family = chk["name"].getDebugName(16) or chk["name"].getDebugName(1)
    with open(os.path.join(ui_dir, e["name"] + ".LICENSE.txt"), "w") as f:
        f.write(f"Font file : ui/{e['name']}.ttf (family \"{family}\")\n"
                f"Source    : {source} (face {e.get('ttc_index', 0)} of {os.path.basename(path)})\n"
                f"Licence   : {e['license']}\n"
                "This file is a Modified Version (subset) of the original font, made by\n"
                "tools/fonts/make_fonts.sh: only the glyphs for the UI character set are kept,\n"
                "hinting and OpenType layout tables are removed, and the CFF outlines were\n"
                "converted to TrueType (quadratic) outlines.\n"
                "The original licence / copyright statement follows.\n" + "=" * 78 + "\n\n")
        f.write(open(lic, encoding="utf-8", errors="replace").read())
    return dict(file=f"ui/{e['name']}.ttf", family=family, source=source,
                license=e["license"], glyphs=len(present),
                absent=[U(c) for c in absent], size=os.path.getsize(out))


README_HEAD = """# Bundled fonts

Subset fonts used to render kana for training and validation images, plus one
UI font. **Generated files: do not edit by hand**; run the script below instead.

Each training font is subset to the target kana it really draws (of the 180
classes U+3041–U+3096, U+309D–U+309E, U+30A1–U+30FA, U+30FD–U+30FE); codepoints
that the source font lacks, maps to `.notdef`, or maps to an empty glyph are
left out of the subset and listed as `missing` in `fonts.json`. Hinting and
OpenType layout tables are dropped; outlines are TrueType (`glyf`). Every font
has its licence beside it as `<basename>.LICENSE.txt`.

`fonts.json` lists the training fonts: `split` is `train` or `validation`
(validation fonts are held out of training: one brush, one handwriting and one
mincho face).

## Training / validation fonts

| file | family | style | source | licence | split | coverage | missing |
| --- | --- | --- | --- | --- | --- | --- | --- |
"""


def write_readme(out_dir, rows, ui, percp):
    lines = [README_HEAD]
    for r in rows:
        miss = " ".join(r["missing"]) if r["missing"] else "–"
        lines.append(f"| `{r['file']}` | {r['family']} | {r['style']} | `{r['source']}` | "
                     f"{r['license']} | {r['split']} | {r['coverage']}/180 | {miss} |\n")
    thin = [f"{U(c)} {chr(c)} ({n})" for c, n in percp if n < 5]
    lines.append("\nCodepoints drawn by fewer than 5 **train** fonts: "
                 + (", ".join(thin) if thin else "none") + ".\n")
    lines.append(f"""
## UI font

| file | family | source | licence |
| --- | --- | --- | --- |
| `{ui['file']}` | {ui['family']} | `{ui['source']}` | {ui['license']} |

Subset to ASCII U+0020–U+007E, U+00A0–U+00FF, U+2010–U+2027, arrows U+2190–U+2193,
CJK symbols U+3000–U+303F, hiragana U+3041–U+309F, katakana U+30A0–U+30FF,
fullwidth forms U+FF01–U+FF5E and the check/cross marks U+2713–U+2718 where the
font has them ({ui['glyphs']} characters). Not in the source font, so absent:
{' '.join(ui['absent']) or 'none'}.

## Licences

* `OFL-1.1`: SIL Open Font License 1.1. A subset is a Modified Version; the
  only fonts here whose licence declares a Reserved Font Name are the YOzFont
  kana sets ("Y.OzFont…"), so their subsets are renamed to **Fude Pen Y**
  (`fude-pen-y.ttf`, standard kana), **Fude Pen Y New** (`fude-pen-y-new.ttf`),
  **Fude Pen Y Antique** (`fude-pen-y-antique.ttf`) and **Fude Pen Y Cute**
  (`fude-pen-y-cute.ttf`).
* `public-domain`: the Aoyagi/Kouzan fonts, placed in the public domain by
  their author (modification and redistribution explicitly allowed).
* `BSD-3-Clause`: kiloji (きろ字); the notice is kept in its LICENSE file.
* `Apache-2.0`: Motoya L Maruberi; the full licence text is in its LICENSE file.
* `Oradano-custom-permissive`: Oradano Mincho licence (free use and
  redistribution, new fonts may be developed from it); see its LICENSE file.

## Regenerating

```sh
tools/fonts/make_fonts.sh          # needs root (apt-get), pip and npm
```

The script installs the Debian font packages, `fonttools` and `brotli` (pip)
and `npm pack`s the pinned `@fontsource/*` packages into a temporary directory
(`FUDE_FONTS_WORK` to choose it), then runs `tools/fonts/subset_fonts.py`,
which rewrites everything in `assets/fonts/` (fonts, licences, `fonts.json`,
this README). Output is byte-for-byte reproducible for the same package
versions (shown in the `source` column) and fontTools version.
""")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npm-dir", required=True, help="dir with unpacked <pkg>-<ver>/package")
    ap.add_argument("--out", required=True, help="assets/fonts directory")
    a = ap.parse_args()
    out_dir = a.out
    # start clean: everything in assets/fonts is generated
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)

    rows = []
    for e in FONTS:
        row, dups, size = build_training_font(e, a.npm_dir, out_dir)
        rows.append(row)
        print(f"{row['file']:24s} {row['style']:12s} {row['split']:10s} {row['coverage']:3d}/180 "
              f"{size/1024:7.1f} KiB  missing: {' '.join(row['missing']) or '-'}")
        for d in dups:
            print(f"   note: identical outlines for {' '.join(U(c) + ' ' + chr(c) for c in d)}")
    rows.sort(key=lambda r: (r["split"] != "train", STYLE_ORDER.index(r["style"]), r["file"]))

    train_cov = {c: 0 for c in TARGET}
    for r in rows:
        if r["split"] != "train":
            continue
        miss = set(r["missing"])
        for c in TARGET:
            if U(c) not in miss:
                train_cov[c] += 1
    percp = sorted(train_cov.items())
    uncovered = [U(c) for c, n in percp if n == 0]
    if uncovered:
        sys.exit(f"train fonts do not cover: {uncovered}")
    low = min(n for _, n in percp)
    print(f"train coverage per codepoint: min {low}, "
          f"thin (<5): {[(U(c), n) for c, n in percp if n < 5]}")

    with open(os.path.join(out_dir, "fonts.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=2)
        f.write("\n")

    ui = build_ui_font(a.npm_dir, out_dir)
    print(f"{ui['file']:24s} UI {ui['glyphs']} chars {ui['size']/1024:.1f} KiB; absent: {' '.join(ui['absent'])}")
    write_readme(out_dir, rows, ui, percp)


if __name__ == "__main__":
    main()
