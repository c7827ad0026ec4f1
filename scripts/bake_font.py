#!/usr/bin/env python3
"""Bake a signed-distance-field (SDF) font atlas for TrainscapeCore.

Usage (from the package root, after scripts/setup.sh):
    .venv/bin/python scripts/bake_font.py

Reads  Assets/fonts/DejaVuSans.ttf
Writes Assets/fonts/dejavu-sans-sdf.png              (8-bit gray, for humans)
       Assets/fonts/dejavu-sans-sdf.json             (metrics)
       Sources/TrainscapeCore/Generated/FontAtlasData.swift

Method: every glyph of CODEPOINTS (printable ASCII, Latin-1, Greek and the symbols
plots use: minus, dashes, quotes, arrows, <=, >=, +-, x, mu) is rendered unhinted by FreeType at
OVERSAMPLE x the target em size, thresholded at 50 % coverage, and turned into a
signed distance field with scipy.ndimage.distance_transform_edt. The field is
box-averaged down to the target pixel grid (each target pixel = OVERSAMPLE^2
high-res pixels), so glyph rectangles are snapped to whole target pixels and
bearings are integers. Encoding: value = 0.5 + d / (2 * SPREAD), d = signed
distance in target px (positive inside), stored as round(value * 255) clamped to
0..255, so 128 = on the outline, 255 = SPREAD px inside, 0 = SPREAD px outside.

Glyphs are shelf-packed (tallest first, ties by codepoint) into an atlas of
width ATLAS_WIDTH with a GAP px gutter; each rectangle already contains SPREAD px
of padding around the ink. The output is deterministic.
"""
from __future__ import annotations

import base64
import json
import math
import os
import sys

import freetype
import numpy as np
from PIL import Image
from scipy.ndimage import distance_transform_edt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONT_PATH = os.path.join(ROOT, "Assets", "fonts", "DejaVuSans.ttf")
PNG_PATH = os.path.join(ROOT, "Assets", "fonts", "dejavu-sans-sdf.png")
JSON_PATH = os.path.join(ROOT, "Assets", "fonts", "dejavu-sans-sdf.json")
SWIFT_PATH = os.path.join(ROOT, "Sources", "TrainscapeCore", "Generated", "FontAtlasData.swift")

EM_SIZE = 48          # target pixels per em
SPREAD = 6            # target pixels mapped to the full 0..255 range around the edge
OVERSAMPLE = 8        # rasterise at EM_SIZE * OVERSAMPLE
ATLAS_WIDTH = 512
GAP = 1               # empty pixels between packed rectangles (bilinear safety)
# Printable ASCII; Latin-1 (accented names, micro, degree, times); Greek (eta, lambda, ...);
# typographic quotes and dashes, bullet, ellipsis; arrows, minus sign and relations.
CODEPOINTS = (
    list(range(32, 127)) + list(range(0xA0, 0x100)) + list(range(0x391, 0x3A2)) + list(range(0x3A3, 0x3AA))
    + list(range(0x3B1, 0x3CA)) + [0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2026, 0x2032,
    0x2190, 0x2191, 0x2192, 0x2193, 0x2212, 0x2248, 0x2260, 0x2264, 0x2265, 0x221E, 0x2207, 0x2202, 0x221A]
)
KERN_MIN_PX = 0.25    # keep kerning pairs with |adjustment| >= this (px at EM_SIZE)


def fmt(x: float) -> str:
    """Shortest round-trip float literal that Swift accepts as a Double."""
    r = repr(float(x))
    return r if ("." in r or "e" in r) else r + ".0"


def bake_glyph(face: freetype.Face, code: int):
    """Returns (sdf bytes [h, w] or None, bearingX, bearingY, advance) in target px."""
    scale_units = EM_SIZE / face.units_per_EM
    face.load_char(chr(code), freetype.FT_LOAD_NO_SCALE)
    advance = face.glyph.metrics.horiAdvance * scale_units

    face.load_char(chr(code), freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
    g = face.glyph
    bm = g.bitmap
    if bm.width == 0 or bm.rows == 0:
        return None, 0.0, 0.0, advance
    assert bm.pixel_mode == freetype.FT_PIXEL_MODE_GRAY, bm.pixel_mode
    buf = np.array(bm.buffer, dtype=np.uint8).reshape(bm.rows, bm.pitch)[:, : bm.width]

    S = OVERSAMPLE
    left, top, w, h = g.bitmap_left, g.bitmap_top, bm.width, bm.rows  # high-res px, y up
    # Target-pixel rectangle (snapped outward) plus SPREAD px padding on each side.
    bx0 = math.floor(left / S) - SPREAD
    bx1 = math.ceil((left + w) / S) + SPREAD
    by_top = math.ceil(top / S) + SPREAD
    by_bot = math.floor((top - h) / S) - SPREAD
    tw, th = bx1 - bx0, by_top - by_bot

    mask = np.zeros((th * S, tw * S), dtype=bool)
    ox, oy = left - bx0 * S, by_top * S - top
    mask[oy : oy + h, ox : ox + w] = buf >= 128

    inside = distance_transform_edt(mask)      # to nearest outside pixel centre
    outside = distance_transform_edt(~mask)    # to nearest inside pixel centre
    dist = np.where(mask, inside - 0.5, 0.5 - outside)  # high-res px, + inside
    dist = dist.reshape(th, S, tw, S).mean(axis=(1, 3)) / S  # target px
    value = 0.5 + dist / (2.0 * SPREAD)
    data = np.clip(np.floor(value * 255.0 + 0.5), 0, 255).astype(np.uint8)
    return data, float(bx0), float(by_top), advance


def main() -> int:
    face = freetype.Face(FONT_PATH)
    face.set_pixel_sizes(0, EM_SIZE * OVERSAMPLE)
    family = face.family_name.decode()
    scale_units = EM_SIZE / face.units_per_EM

    glyphs = []
    for code in CODEPOINTS:
        data, bx, by, adv = bake_glyph(face, code)
        glyphs.append({"codepoint": code, "data": data, "bearingX": bx, "bearingY": by, "advance": adv})

    # Shelf packing, tallest first.
    order = sorted((g for g in glyphs if g["data"] is not None),
                   key=lambda g: (-g["data"].shape[0], g["codepoint"]))
    x = y = shelf_h = 0
    for g in order:
        h, w = g["data"].shape
        if x + w > ATLAS_WIDTH:
            x, y, shelf_h = 0, y + shelf_h + GAP, 0
        g["x"], g["y"] = x, y
        x += w + GAP
        shelf_h = max(shelf_h, h)
    height = y + shelf_h
    height = (height + 3) // 4 * 4  # keep rows a multiple of 4

    atlas = np.zeros((height, ATLAS_WIDTH), dtype=np.uint8)
    for g in glyphs:
        if g["data"] is None:
            g["x"] = g["y"] = g["w"] = g["h"] = 0
            continue
        h, w = g["data"].shape
        g["w"], g["h"] = w, h
        atlas[g["y"] : g["y"] + h, g["x"] : g["x"] + w] = g["data"]

    kerning = []
    for a in CODEPOINTS:
        for b in CODEPOINTS:
            k = face.get_kerning(chr(a), chr(b), freetype.FT_KERNING_UNSCALED).x * scale_units
            if abs(k) >= KERN_MIN_PX:
                kerning.append((a, b, k))

    ascender = face.ascender * scale_units
    descender = face.descender * scale_units
    line_height = face.height * scale_units

    Image.fromarray(atlas, mode="L").save(PNG_PATH, optimize=True)

    meta = {
        "generator": "scripts/bake_font.py",
        "source": "DejaVuSans.ttf",
        "fontName": family,
        "width": ATLAS_WIDTH,
        "height": height,
        "emSize": EM_SIZE,
        "spread": SPREAD,
        "oversample": OVERSAMPLE,
        "unitsPerEm": face.units_per_EM,
        "ascender": ascender,
        "descender": descender,
        "lineHeight": line_height,
        "encoding": "value/255 = 0.5 + signedDistancePx / (2*spread), positive inside; row 0 = top",
        "glyphs": [
            {"codepoint": g["codepoint"], "char": chr(g["codepoint"]), "x": g["x"], "y": g["y"],
             "w": g["w"], "h": g["h"], "bearingX": g["bearingX"], "bearingY": g["bearingY"],
             "advance": g["advance"]}
            for g in glyphs
        ],
        "kerning": [[a, b, k] for a, b, k in kerning],
    }
    with open(JSON_PATH, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")

    lines = [
        "// Generated by scripts/bake_font.py from DejaVuSans.ttf. Do not edit.",
        "// swift-format-ignore-file",
        "",
        "enum FontAtlasData {",
        f'  static let fontName = "{family}"',
        f"  static let width = {ATLAS_WIDTH}",
        f"  static let height = {height}",
        "  /// Pixel size the glyphs were rasterised at (the nominal font size in atlas pixels).",
        f"  static let emSize: Double = {EM_SIZE}",
        "  /// SDF spread in atlas pixels: value 0.5 is the outline, 0 and 1 are `spread` px outside/inside.",
        f"  static let spread: Double = {SPREAD}",
        f"  static let ascender: Double = {fmt(ascender)}",
        f"  static let descender: Double = {fmt(descender)}",
        f"  static let lineHeight: Double = {fmt(line_height)}",
        "  /// (codepoint, x, y, w, h, bearingX, bearingY, advance): atlas rectangle in pixels (y measured from the top row,",
        "  /// rectangle INCLUDES the spread padding), bearingX = left edge of that rectangle relative to the pen position,",
        "  /// bearingY = top edge of that rectangle above the baseline, advance = horizontal pen advance. All in px at emSize.",
        "  static let glyphs: [(UInt32, Int, Int, Int, Int, Double, Double, Double)] = [",
    ]
    for g in glyphs:
        c = chr(g["codepoint"])
        lines.append(
            f"    ({g['codepoint']}, {g['x']}, {g['y']}, {g['w']}, {g['h']}, "
            f"{fmt(g['bearingX'])}, {fmt(g['bearingY'])}, {fmt(g['advance'])}),  // {c!r}")
    lines.append("  ]")
    lines.append("  /// Kerning pairs worth keeping (left, right, adjustment px at emSize); may be empty.")
    lines.append("  static let kerning: [(UInt32, UInt32, Double)] = [")
    for a, b, k in kerning:
        lines.append(f"    ({a}, {b}, {fmt(k)}),  // {chr(a) + chr(b)!r}")
    lines.append("  ]")
    lines.append("  /// width*height bytes, row 0 is the TOP row, base64-encoded.")
    b64 = base64.b64encode(atlas.tobytes()).decode("ascii")
    lines.append(f'  static let pixelsBase64: String = "{b64}"')
    lines.append("}")
    with open(SWIFT_PATH, "w") as f:
        f.write("\n".join(lines) + "\n")

    print(f"{family}: {len(glyphs)} glyphs, {len(kerning)} kerning pairs, atlas {ATLAS_WIDTH}x{height}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
