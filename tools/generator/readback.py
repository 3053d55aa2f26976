#!/usr/bin/env python3
"""The generator's read-back figure of issue 22, exactly as the issue measures it.

For each of the 180 kana: `fude generate --char X --count 5 --seed 1 --out DIR/`, then every PNG
is read back with `fude predict --json` (a picture: small and full-size kana alike, so the check is
size-blind). Prints the share read as asked, overall and for the kana with a (han)dakuten, and the
worst kana; then the same with the script known, as the app knows it once some text is written
(`--context` of one kana of the asked kana's script), which settles へ/ヘ, べ/ベ, ぺ/ペ.

    python3 tools/generator/readback.py target/release/fude [--model G] [--count 5]
"""
import json, os, subprocess, sys, tempfile, unicodedata

def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    fude, extra, count = args[0], [], "5"
    if "--model" in args:
        extra = ["--model", args[args.index("--model") + 1]]
    if "--count" in args:
        count = args[args.index("--count") + 1]
    kana = [chr(c) for c in list(range(0x3041, 0x3097)) + [0x309D, 0x309E] + list(range(0x30A1, 0x30FB)) + [0x30FD, 0x30FE]]
    assert len(kana) == 180
    small = dict(zip("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ", "あいうえおつやゆよわかけアイウエオツヤユヨワカケ"))
    def base(ch):
        return small.get(ch, ch)
    ok, n, by = 0, 0, {}
    by_index = {}
    ok_ctx = 0
    with tempfile.TemporaryDirectory() as d:
        for k in kana:
            out = os.path.join(d, f"{ord(k):04x}") + "/"
            subprocess.run([fude, "generate", *extra, "--char", k, "--count", count, "--seed", "1", "--out", out], check=True, capture_output=True)
            files = sorted(os.path.join(out, f) for f in os.listdir(out))
            res = subprocess.run([fude, "predict", "--json", "--top", "1", *files], check=True, capture_output=True, text=True)
            for i, line in enumerate(res.stdout.splitlines()):
                top = json.loads(line)["top"][0]["char"]
                right = base(top) == base(k)
                ok += right
                n += 1
                by.setdefault(k, []).append(right)
                by_index.setdefault(i, []).append(right)
            context = "ア" if ord(k) >= 0x30A0 else "あ"
            res = subprocess.run([fude, "predict", "--json", "--top", "1", "--context", context, *files], check=True, capture_output=True, text=True)
            for line in res.stdout.splitlines():
                ok_ctx += base(json.loads(line)["top"][0]["char"]) == base(k)
    voiced = [k for k in kana if any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", k))]
    vs = [sum(by[k]) / len(by[k]) for k in voiced]
    worst = sorted(kana, key=lambda k: sum(by[k]) / len(by[k]))[:10]
    print(f"read back as asked (size-blind): {ok}/{n} = {100 * ok / n:.2f}%")
    print(f"kana with a (han)dakuten: {100 * sum(sum(by[k]) for k in voiced) / sum(len(by[k]) for k in voiced):.2f}%, worst class {min(vs) * 100:.0f}%")
    print("by sample (the same latent for every kana):", ", ".join(f"{i + 1}: {100 * sum(v) / len(v):.1f}%" for i, v in sorted(by_index.items())))
    print("worst:", ", ".join(f"{k} {100 * sum(by[k]) / len(by[k]):.0f}%" for k in worst))
    print(f"with the script known from context: {ok_ctx}/{n} = {100 * ok_ctx / n:.2f}%")

if __name__ == "__main__":
    main()
