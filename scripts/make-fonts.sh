#!/usr/bin/env bash
# Rebuilds the handout fonts in crates/clinic-core/fonts from Debian's fonts-noto-cjk
# (Noto Sans CJK, SIL OFL 1.1). Not run by setup or CI: the subsets are committed.
#
# SC face: every character of the CJK Unified Ideographs block (U+4E00-9FFF, 20,992 — rare
# name characters such as 堃 and 喆 included); TC face: Big5's 5,401 frequent hanzi in
# Taiwan's glyph shapes. A zh-TW handout draws a character the TC subset lacks with the SC
# face, so nothing prints as a box: 14.7 MB instead of 2 × 11 MB. Both faces also keep
# Latin, punctuation, full-width forms, arrows, box drawing, circled numbers, check boxes.
set -euo pipefail
cd "$(dirname "$0")/.."
TTC=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
[ -f "$TTC" ] || sudo apt-get install -y fonts-noto-cjk
VENV=$(mktemp -d)
python3 -m venv "$VENV" && "$VENV/bin/pip" install -q fonttools
python3 - "$VENV" <<'PY'
import sys
def hanzi(codec, lead, trail):
    out = set()
    for a in lead:
        for b in trail:
            if (a, b) > (0xC6, 0x7E):
                continue
            try:
                c = bytes([a, b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(c) == 1 and 0x3400 <= ord(c) <= 0x9FFF:
                out.add(c)
    return "".join(sorted(out))
venv = sys.argv[1]
open(f"{venv}/sc.txt", "w").write("".join(chr(c) for c in range(0x4E00, 0xA000)))
# Big5 level 1: lead bytes A4-C6 (up to C67E).
open(f"{venv}/tc.txt", "w").write(hanzi("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]))
PY
BASE="U+0020-007E,U+00A0-00FF,U+2000-206F,U+20AC,U+2100-214F,U+2190-21FF,U+2211-2265,U+2460-24FF,U+2500-25FF,U+2600-26FF,U+2700-27BF,U+3000-303F,U+FE30-FE4F,U+FF00-FFEF"
# Face 2 of the collection is SC, face 3 TC.
for pair in "2 sc" "3 tc"; do
    set -- $pair
    "$VENV/bin/pyftsubset" "$TTC" --font-number="$1" --unicodes="$BASE" --text-file="$VENV/$2.txt" \
        --name-IDs='*' --name-languages='*' \
        --output-file="crates/clinic-core/fonts/NotoSansCJK$2-Regular-subset.otf"
done
# Over ~16k mappings a format-4 cmap subtable passes 64 KiB and its 16-bit length wraps:
# readers that trust the length (ttf-parser) lose characters. Format 12 has no such limit.
"$VENV/bin/python" - crates/clinic-core/fonts/NotoSansCJK{sc,tc}-Regular-subset.otf <<'PY'
import sys
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
for path in sys.argv[1:]:
    font = TTFont(path)
    mapping = dict(font.getBestCmap())
    tables = []
    for platform, encoding in ((0, 4), (3, 10)):
        t = CmapSubtable.newSubtable(12)
        t.platformID, t.platEncID, t.language = platform, encoding, 0
        t.cmap = dict(mapping)
        tables.append(t)
    font["cmap"].tables = tables
    font.save(path)
PY
rm -rf "$VENV"
ls -l crates/clinic-core/fonts
