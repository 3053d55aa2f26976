#!/usr/bin/env python3
"""Makes assets/words/kana-words.txt from UniDic's lexicon (Debian's unidic-mecab, BSD-3-Clause option).

    apt-get download unidic-mecab
    dpkg-deb --fsys-tarfile unidic-mecab_3.1.1-1_all.deb | tar x ./usr/share/mecab/dic/unidic/lex_3_1.csv
    python3 tools/wordlist/make_wordlist.py usr/share/mecab/dic/unidic/lex_3_1.csv assets/words/kana-words.txt

Each entry of the lexicon gives a kana word: its surface when that is all kana (ありがとう, カメラ),
else its reading in hiragana (東京 -> とうきょう). Proper nouns are left out; only entries that do not conjugate or are in
their dictionary form are kept; words need 2 to 10 characters, all in fude's class table (no ー).
UniDic's word cost (lower: more likely) ranks them, hiragana and katakana words apart (three
quarters of the list hiragana, as costs favour loanwords); the file lists the --count most likely words,
one a line, most likely first.
"""
import csv
import sys

def in_table(c):
    o = ord(c)
    return 0x3041 <= o <= 0x3096 or 0x309D <= o <= 0x309E or 0x30A1 <= o <= 0x30FA or 0x30FD <= o <= 0x30FE

def is_katakana(word):
    return any(0x30A1 <= ord(c) <= 0x30FE for c in word)

def hiragana(s):
    return "".join(chr(ord(c) - 0x60) if 0x30A1 <= ord(c) <= 0x30F6 else c for c in s)

def main():
    src, out = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 30000
    best = {}
    with open(src, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            if len(row) < 25 or row[4] in ("補助記号", "記号", "空白") or row[5] == "固有名詞":
                continue
            if not (row[9] == "*" or row[9].startswith("終止形")):
                continue
            surface, kana = row[0], row[24]
            word = surface if all(in_table(c) for c in surface) else hiragana(kana)
            if not (2 <= len(word) <= 10) or not all(in_table(c) for c in word):
                continue
            cost = int(row[3])
            if cost < best.get(word, 1 << 30):
                best[word] = cost
    # Costs favour loanwords: hiragana words (native words and readings) and katakana words are
    # ranked apart, and hiragana words take three quarters of the list.
    ranked = sorted(best.items(), key=lambda kv: (kv[1], kv[0]))
    hira = [kv for kv in ranked if not is_katakana(kv[0])][: count * 3 // 4]
    kata = [kv for kv in ranked if is_katakana(kv[0])][: count - len(hira)]
    ranked = sorted(hira + kata, key=lambda kv: (kv[1], kv[0]))
    with open(out, "w", encoding="utf-8") as f:
        for word, _ in ranked:
            f.write(word + "\n")
    print(f"{len(best)} kana words, wrote the {len(ranked)} most likely to {out}")

if __name__ == "__main__":
    main()
