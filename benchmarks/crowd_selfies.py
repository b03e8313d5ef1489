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
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import _index_for
from crowd import CACHE, FACE_SET, PHOTOS, SHIPPED, CrowdEvent, Rule, load, source_groups
from eventface.errors import ImageError
from eventface.faces import fusion_engine
from eventface.faces.images import SELFIE_FORMATS, PhotoImage
from eventface.matching.expansion import SUPPORT, match_faces
from eventface.runtime import build_runtime
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = report(args.seed, SHIPPED_RULE)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
