"""Selfie quality on the crowd events (issue 11): should a small, soft or turned selfie be
refused, or matched more strictly, once the "not nearer to a stranger" guard is on?

    python benchmarks/crowd_selfies.py      # needs benchmarks/out/crowd/ (benchmarks/crowd.py)

Every usable selfie of every guest searches alone (the shipped rule: tolerance, expansion and
guard as match_faces runs them), on the seed-1 crowd event (and seed 2 for calibration).
Each selfie's largest face is measured as the product sees it: box height (px in the selfie),
sharpness (variance of the Laplacian of the aligned chip) and a yaw estimate from YuNet's
landmarks (nose offset from the eyes' midpoint over the eye distance; 0 frontal, ~0.5 a
strong half-profile). Reported: precision and recall of single-selfie searches per quality
bucket, per source group, and what refusing or tightening each bucket would change.

    python benchmarks/crowd_selfies.py --degrade --seed 2   # poor selfies, the product's rule

`--degrade` makes poor selfies out of the real ones (the face shrunk to 56, 40 or 28 px, blurred
by 6 or 12 % of the face's height, or dark and noisy), finds their faces with the product's
engine (cached in benchmarks/out/crowd/, ~15 min per seed on a loaded machine) and searches the
crowd event with each alone, as the product matches (the people rule); reported per
degradation and per bucket of the face's measured height, sharpness and brightness: what
services/search.py's SELFIE_CHECKS are calibrated on.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import _index_for
from crowd import CACHE, FACE_SET, PHOTOS, SHIPPED, CrowdEvent, Rule, load, source_groups
from eventface.domain.models import DetectedFace
from eventface.errors import ImageError
from eventface.faces import fusion_engine
from eventface.faces.images import SELFIE_FORMATS, PhotoImage
from eventface.matching.expansion import SUPPORT, match_faces
from eventface.runtime import build_runtime
from eventface.services.search import largest, people_rule_of
from eventface.settings import Settings
from events import OUT, dev_event

# the shipped rule, as match_faces runs it with the fusion engine's settings
SHIPPED_RULE = Rule(
    "shipped",
    fusion_engine.TOLERANCE,
    fusion_engine.EXPANSION_TOLERANCE,
    guard=True,
    reach=getattr(fusion_engine, "EXPANSION_REACH", None),
    support=SUPPORT,
)


# the product's default since issue 11: the guest joins the event's people groups
PRODUCT_RULE = Rule(
    "people groups (the default)",
    fusion_engine.TOLERANCE,
    fusion_engine.EXPANSION_TOLERANCE,
    guard=True,
    support=SUPPORT,
    people=people_rule_of(fusion_engine.PEOPLE_RULE),
)


@dataclass(frozen=True)
class SelfieFace:
    identity: str
    file: str
    embedding: np.ndarray
    px: float  # face box height in the selfie
    sharpness: float
    yaw: float  # |nose offset| / eye distance, from YuNet's landmarks
    score: float


def selfie_faces(seed: int) -> list[SelfieFace]:
    """The largest face of every selfie (cached in benchmarks/out/crowd/)."""
    event = dev_event(FACE_SET, seed, PHOTOS)
    cache = CACHE / f"selfie_quality_{event.path.name}.json"
    if not cache.is_file():
        cache.write_text(json.dumps(_measure(event)))
    return [
        SelfieFace(r["identity"], r["file"], np.array(r["embedding"], np.float32), *r["quality"])
        for r in json.loads(cache.read_text())
    ]


def _measure(event: object) -> list[dict[str, object]]:
    rt = build_runtime(Settings(data_dir=OUT / "data" / "crowd_selfies", workers=1))
    try:
        engine = rt.face_engine("fusion")
        sface = engine._sface  # type: ignore[attr-defined]  # the landmarks are not in DetectedFace
        rows = []
        for ident in event.queryable():  # type: ignore[attr-defined]
            for path in event.selfies_of(ident):  # type: ignore[attr-defined]
                try:
                    image = PhotoImage(
                        path.read_bytes(), rt.settings.max_selfie_pixels, formats=SELFIE_FORMATS
                    )
                    faces = engine.find_faces(image)
                    decoded = image.decode(sface.detect_max_side_px)
                    yunet = sface.detect(decoded)
                except ImageError:
                    continue
                if not faces:
                    continue
                face = max(faces, key=lambda f: f.box.width * f.box.height)
                row = max(yunet, key=lambda f: f.box.width * f.box.height).row
                eyes = row[4:8].reshape(2, 2)
                nose = row[8:10]
                eye_gap = float(np.linalg.norm(eyes[0] - eyes[1])) or 1.0
                yaw = abs(float(nose[0] - eyes[:, 0].mean())) / eye_gap
                rows.append(
                    {
                        "identity": ident,
                        "file": path.name,
                        "embedding": face.embedding.tolist(),
                        "quality": [float(face.box.height), float(face.sharpness), yaw, float(face.score)],
                    }
                )
        return rows
    finally:
        rt.close()


def single_selfie_results(
    ce: CrowdEvent, selfies: list[SelfieFace], rule: Rule, guard: bool = True
) -> list[tuple[int, int, int]]:
    """Per selfie searching alone: (right photos, returned photos, the guest's photos)."""
    ix = ce.indexed
    index = _index_for(ix, SHIPPED)
    names = ix.photo_names
    out = []
    for s in selfies:
        found = match_faces(
            index,
            0,
            s.embedding[np.newaxis, :],
            tolerance=rule.tolerance,
            expansion_tolerance=rule.expansion,
            expansion_reach=rule.reach,
            strangers=guard,
            support=rule.support,
        )
        got = {names[m.photo_id] for m in found}
        want = ix.event.photos_of(s.identity)
        out.append((len(got & want), len(got), len(want)))
    return out


def pr(rows: list[tuple[int, int, int]]) -> dict[str, float]:
    right, returned, relevant = (sum(r[k] for r in rows) for k in range(3))
    return {
        "P": round(right / returned, 3) if returned else 1.0,
        "R": round(right / relevant, 3) if relevant else 1.0,
        "false": returned - right,
        "selfies": len(rows),
    }


BUCKETS = {
    "face px": ("px", [0, 100, 150, 200, 300, 1e9]),
    "sharpness": ("sharpness", [0, 50, 100, 200, 400, 1e9]),
    "yaw": ("yaw", [0, 0.1, 0.2, 0.3, 0.5, 1e9]),
}


def report(seed: int, rule: Rule) -> dict[str, object]:
    ce = load(dev_event(FACE_SET, seed, PHOTOS))
    selfies = selfie_faces(seed)
    groups = source_groups()
    results = {g: single_selfie_results(ce, selfies, rule, g) for g in (False, True)}
    out: dict[str, object] = {"seed": seed, "rule": rule.name, "all": {}}
    for guard, rows in results.items():
        name = "guard" if guard else "no guard"
        out["all"][name] = pr(rows)  # type: ignore[index]
        for label, (attr, edges) in BUCKETS.items():
            for lo, hi in itertools.pairwise(edges):
                keep = [r for s, r in zip(selfies, rows, strict=True) if lo <= getattr(s, attr) < hi]
                out.setdefault(f"{label} {lo}-{hi}", {})[name] = pr(keep)  # type: ignore[union-attr]
        for group in sorted(set(groups.values())):
            keep = [r for s, r in zip(selfies, rows, strict=True) if groups[s.identity] == group]
            out.setdefault(group, {})[name] = pr(keep)  # type: ignore[union-attr]
    return out


# ---------------------------------------------------------------------------------------- degraded selfies

# What a guest's poor selfie looks like, made from each real selfie: the face shrunk to a few
# dozen pixels (a selfie taken from far away, or a crop of a group photo), blurred (camera shake,
# out of focus: Gaussian sigma as a share of the face's height), or dark and noisy (a dim room).
DEGRADATIONS: dict[str, tuple[str, float]] = {
    "face 56 px": ("scale", 56.0),
    "face 40 px": ("scale", 40.0),
    "face 28 px": ("scale", 28.0),
    "blur 6 %": ("blur", 0.06),
    "blur 12 %": ("blur", 0.12),
    "dark": ("dark", 0.15),
}
# selfies are first shrunk to this long side (a phone's upload is shrunk in the browser anyway),
# which keeps every face above 56 px and the benchmark's detection cheap
DEGRADE_SIDE_PX = 1000


def degraded(data: bytes, face_px: float, kind: str, amount: float, rng: np.random.Generator) -> bytes:
    """The selfie made worse, as a JPEG (quality 90) of the upright pixels."""
    from PIL import Image, ImageFilter, ImageOps  # noqa: PLC0415 - only this benchmark mode

    with Image.open(io.BytesIO(data)) as im:
        img = ImageOps.exif_transpose(im).convert("RGB")
    shrink = min(1.0, DEGRADE_SIDE_PX / max(img.size))
    if shrink < 1.0:
        img = img.resize((round(img.width * shrink), round(img.height * shrink)), Image.Resampling.LANCZOS)
        face_px *= shrink
    if kind == "scale" and face_px > amount:
        factor = amount / face_px
        img = img.resize(
            (max(1, round(img.width * factor)), max(1, round(img.height * factor))), Image.Resampling.LANCZOS
        )
    elif kind == "blur":
        img = img.filter(ImageFilter.GaussianBlur(radius=amount * face_px))
    elif kind == "dark":
        pixels = np.asarray(img, np.float32) * amount + rng.normal(0.0, 4.0, (img.height, img.width, 1))
        img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def degraded_faces(seed: int) -> list[dict[str, object]]:
    """Every selfie under every degradation: the largest face the product finds in it (embedding,
    height, sharpness, brightness), or none (cached in benchmarks/out/crowd/)."""
    event = dev_event(FACE_SET, seed, PHOTOS)
    cache = CACHE / f"selfie_degraded_{event.path.name}.json"
    if cache.is_file():
        return json.loads(cache.read_text())  # type: ignore[no-any-return]
    rt = build_runtime(Settings(data_dir=OUT / "data" / "crowd_selfies", workers=1))
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    try:
        engine = rt.face_engine("fusion")
        limit = rt.settings.max_selfie_pixels
        for ident in event.queryable():
            for path in event.selfies_of(ident):
                data = path.read_bytes()
                try:
                    faces = engine.find_faces(PhotoImage(data, limit, formats=SELFIE_FORMATS))
                except ImageError:
                    continue
                if not faces:
                    continue
                face_px = float(largest(faces).box.height)
                for name, (kind, amount) in DEGRADATIONS.items():
                    image = PhotoImage(degraded(data, face_px, kind, amount, rng), limit)
                    found = engine.find_faces(image)
                    row: dict[str, object] = {"identity": ident, "file": path.name, "variant": name}
                    if found:
                        face = largest(found)
                        row.update(
                            embedding=face.embedding.tolist(),
                            px=float(face.box.height),
                            sharpness=float(face.sharpness),
                            brightness=face_brightness(image, face),
                        )
                    rows.append(row)
            print(f"degraded selfies of {ident} done", file=sys.stderr, flush=True)
    finally:
        rt.close()
    cache.write_text(json.dumps(rows))
    return rows


def face_brightness(image: PhotoImage, face: DetectedFace) -> float:
    """Mean luma (0-255) inside the face box: how much light the face got."""
    decoded = image.decode(2000)
    s = decoded.scale
    b = face.box
    crop = decoded.rgb[
        int(b.top * s) : max(int(b.bottom * s), int(b.top * s) + 1),
        int(b.left * s) : max(int(b.right * s), int(b.left * s) + 1),
    ]
    return (
        float((crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).mean())
        if crop.size
        else 0.0
    )


def degraded_results(ce: CrowdEvent, rows: list[dict[str, object]], rule: Rule) -> list[tuple[int, int, int]]:
    """Per degraded selfie searching alone, as the product matches (the people rule by default):
    (right photos, returned photos, the guest's photos); a selfie with no face found returns none."""
    ix = ce.indexed
    index = _index_for(ix, SHIPPED)
    names = ix.photo_names
    out = []
    for r in rows:
        want = ix.event.photos_of(str(r["identity"]))
        if "embedding" not in r:
            out.append((0, 0, len(want)))
            continue
        found = match_faces(
            index,
            0,
            np.array([r["embedding"]], np.float32),
            tolerance=rule.tolerance,
            expansion_tolerance=rule.expansion,
            strangers=rule.guard,
            support=rule.support,
            people=rule.people,
        )
        got = {names[m.photo_id] for m in found}
        out.append((len(got & want), len(got), len(want)))
    return out


def _num(row: dict[str, object], key: str) -> float:
    value = row[key]
    assert isinstance(value, float | int)
    return float(value)


def degraded_report(seed: int, rule: Rule) -> dict[str, object]:
    ce = load(dev_event(FACE_SET, seed, PHOTOS))
    rows = degraded_faces(seed)
    results = degraded_results(ce, rows, rule)
    out: dict[str, object] = {"seed": seed, "rule": rule.name}
    measured = [(r, x) for r, x in zip(rows, results, strict=True) if "embedding" in r]
    for name in DEGRADATIONS:
        keep = [x for r, x in zip(rows, results, strict=True) if r["variant"] == name]
        px = [_num(r, "px") for r, _ in measured if r["variant"] == name]
        sharp = [_num(r, "sharpness") for r, _ in measured if r["variant"] == name]
        out[name] = {
            **pr(keep),
            "no face": len(keep) - len(px),
            "px median": round(float(np.median(px)), 1) if px else None,
            "sharpness median": round(float(np.median(sharp)), 1) if sharp else None,
        }
    for label, key, edges in (
        ("face px", "px", [0, 40, 56, 80, 120, 1e9]),
        ("sharpness", "sharpness", [0, 25, 50, 100, 200, 400, 1e9]),
        ("brightness", "brightness", [0, 40, 60, 80, 1e9]),
    ):
        for lo, hi in itertools.pairwise(edges):
            out[f"{label} {lo}-{hi}"] = pr([x for r, x in measured if lo <= _num(r, key) < hi])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--degrade",
        action="store_true",
        help="poor selfies made from the real ones, matched as the product does",
    )
    args = parser.parse_args()
    if args.degrade:
        print(json.dumps(degraded_report(args.seed, PRODUCT_RULE), indent=1))
        return 0
    result = report(args.seed, SHIPPED_RULE)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
