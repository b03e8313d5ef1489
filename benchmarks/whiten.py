"""Per-event whitening of the embeddings (issue 11, sixth round), on crowd.py's cached events.

    python benchmarks/whiten.py --sanity                  # d', EER, TAR at low FAR per variant
    python benchmarks/whiten.py --variant 1 --calibrate 2 3 --joins 1.25 1.26 1.262 --score 1 4 5 --dev

The models were trained mostly on Western faces: in an all-East-Asian event their embeddings
crowd into a few directions. Transductive adaptation: from the event's own indexed faces (no
labels) each engine's half (SFace 128-d, dlib 128-d) is centred on the event's mean and
whitened, W = (C + a * mean_eigenvalue * I)^(-1/2), then L2-normalised again; the selfies get
the event's transform. C is the total covariance of the event's faces, or (`within`) the
within-group scatter of the event's people groups (the product's grouping at link 1.0, groups of
two faces or more: pseudo-labels, as WCCN / LDA do with labels). a = inf is centring alone;
`drop` removes the event's first principal directions after centring instead. `--crowd-only`
transforms only crowds (the hub correction's gating); smaller events keep their embeddings.

Each half's distance scale changes, so each half's fused scale is set per event, without labels:
the original scale times (median of the event's same-photo distances after / before), i.e. the
event's own impostors (cannot-link pairs) lie where they lay. The product's rules then run
unchanged (crowd.py's `matched`, the fused metric with these scales), and the thresholds are
recalibrated on the calibration seeds (`--calibrate`: a multiplier on every distance threshold,
the crowd join and, with `--links`, the single-link check). Numbers: benchmarks/README.md,
"Issue 11, sixth round".
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crowd
from accuracy import IndexedEvent, Pipeline
from eventface.domain.distance import FusedMetric
from eventface.faces import fusion_engine
from eventface.matching.people import CROWD_PEOPLE, group_faces
from events import FACE_SETS, dev_event

Floats = npt.NDArray[np.float64]
SPLIT = fusion_engine.SFACE_DIM
SHIPPED_METRIC = fusion_engine.FusionFaceEngine.metric


@dataclass(frozen=True)
class Variant:
    name: str
    shrink: float | None  # a; None: the embeddings as indexed; inf: centring alone
    within: bool = False  # C from the event's people groups (within-group scatter)
    center: bool = True
    halves: tuple[bool, bool] = (True, True)  # transform the SFace half, the dlib half
    # only in a crowd (the hub correction's gating: CROWD_PEOPLE groups of two faces or more on
    # the plain metric); smaller events keep their embeddings as indexed
    crowd_only: bool = False
    # "all but the top" (Mu & Viswanath, 2018): with shrink = inf, project out the event's
    # `drop` first principal directions after centring instead of whitening
    drop: int = 0


AS_INDEXED = Variant("as indexed (shipped)", None)
VARIANTS = [
    AS_INDEXED,
    Variant("centred only", math.inf),
    Variant("whitened, total C, a = 0.1", 0.1),
    Variant("whitened, total C, a = 0.3", 0.3),
    Variant("whitened, total C, a = 1", 1.0),
    Variant("whitened, total C, a = 3", 3.0),
    Variant("whitened, total C, a = 10", 10.0),
    Variant("whitened, total C, a = 1, not centred", 1.0, center=False),
    Variant("whitened, total C, a = 1, SFace half only", 1.0, halves=(True, False)),
    Variant("whitened, total C, a = 1, dlib half only", 1.0, halves=(False, True)),
    Variant("within-group C (people groups), a = 0.1", 0.1, within=True),
    Variant("within-group C (people groups), a = 0.3", 0.3, within=True),
    Variant("within-group C (people groups), a = 1", 1.0, within=True),
    Variant("within-group C (people groups), a = 3", 3.0, within=True),
    Variant("within-group C (people groups), a = 10", 10.0, within=True),
    Variant("centred, top 1 direction removed", math.inf, drop=1),
    Variant("centred, top 2 directions removed", math.inf, drop=2),
    Variant("centred, top 4 directions removed", math.inf, drop=4),
    Variant("centred, top 8 directions removed", math.inf, drop=8),
]


# ---------------------------------------------------------------------------------------- transform


@dataclass(frozen=True)
class Transform:
    """One event's transform: per half, the mean subtracted and the matrix applied (None: as is)."""

    parts: tuple[tuple[Floats, Floats] | None, tuple[Floats, Floats] | None]
    metric: FusedMetric

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        out = np.array(embeddings, np.float64)
        for half, part in zip((slice(0, SPLIT), slice(SPLIT, None)), self.parts, strict=True):
            if part is None:
                continue
            mean, w = part
            x = (out[:, half] - mean) @ w
            out[:, half] = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        return out.astype(np.float32)


def _inverse_sqrt(c: Floats, shrink: float) -> Floats:
    values, vectors = np.linalg.eigh(c)
    values = np.maximum(values, 0.0) + shrink * float(values.mean())
    return np.asarray((vectors / np.sqrt(values)) @ vectors.T, np.float64)


def _scatter(x: Floats, labels: npt.NDArray[np.int64] | None) -> Floats:
    """Total covariance, or the within-group scatter over groups of two faces or more."""
    if labels is None:
        centred = x - x.mean(axis=0)
        return np.asarray(centred.T @ centred / len(x), np.float64)
    ids, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    keep = counts[inverse] >= 2
    means = np.zeros((len(ids), x.shape[1]))
    np.add.at(means, inverse, x)
    means /= counts[:, None]
    centred = (x - means[inverse])[keep]
    return np.asarray(centred.T @ centred / max(len(centred), 1), np.float64)


def photo_ids(ix: IndexedEvent) -> npt.NDArray[np.int64]:
    number = {name: k for k, name in enumerate(ix.photo_names)}
    return np.array([number[n] for n in ix.names], np.int64)


def same_photo_pairs(ix: IndexedEvent) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The event's cannot-link pairs: two faces of one photo (label-free impostors)."""
    photos = photo_ids(ix)
    i, j = np.nonzero(np.triu(photos[:, None] == photos[None, :], k=1))
    return i, j


def half_distances(x: np.ndarray, y: np.ndarray) -> tuple[Floats, Floats]:
    """Row-wise SFace (1 - cosine) and dlib (Euclidean) distances of paired rows."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    cosine = 1.0 - np.einsum("ij,ij->i", x[:, :SPLIT], y[:, :SPLIT])
    euclidean = np.linalg.norm(x[:, SPLIT:] - y[:, SPLIT:], axis=1)
    return cosine, euclidean


def fit(ix: IndexedEvent, variant: Variant) -> Transform:
    """The event's transform for `variant`, from its indexed faces alone (no labels)."""
    if variant.shrink is None or (variant.crowd_only and crowd.groups_of_two(ix) < CROWD_PEOPLE):
        return Transform((None, None), SHIPPED_METRIC)
    x = np.asarray(ix.embeddings, np.float64)
    labels = None
    if variant.within:
        ids = np.arange(len(x), dtype=np.int64)
        link = crowd.SHIPPED_PEOPLE.link
        labels = group_faces(ids, photo_ids(ix), ix.embeddings, SHIPPED_METRIC, link)
    parts: list[tuple[Floats, Floats] | None] = []
    for half, on in zip((slice(0, SPLIT), slice(SPLIT, None)), variant.halves, strict=True):
        if not on:
            parts.append(None)
            continue
        xh = x[:, half]
        mean = xh.mean(axis=0) if variant.center else np.zeros(xh.shape[1])
        dim = xh.shape[1]
        if variant.drop:
            top = np.linalg.eigh(_scatter(xh, None))[1][:, -variant.drop :]
            w = np.eye(dim) - top @ top.T
        elif math.isinf(variant.shrink):
            w = np.eye(dim)
        else:
            w = _inverse_sqrt(_scatter(xh, labels), variant.shrink)
        parts.append((mean, w))
    plain = Transform((parts[0], parts[1]), SHIPPED_METRIC)
    # each half's scale: the event's same-photo distances keep their median
    i, j = same_photo_pairs(ix)
    before = half_distances(x[i], x[j])
    moved = plain(ix.embeddings)
    after = half_distances(moved[i], moved[j])
    ratio = [float(np.median(a) / np.median(b)) for a, b in zip(after, before, strict=True)]
    metric = replace(
        SHIPPED_METRIC,
        cosine_scale=SHIPPED_METRIC.cosine_scale * ratio[0],
        euclidean_scale=SHIPPED_METRIC.euclidean_scale * ratio[1],
    )
    return Transform(plain.parts, metric)


def transformed(ce: crowd.CrowdEvent, variant: Variant) -> tuple[crowd.CrowdEvent, Transform]:
    """The event with its faces and its guests' selfies moved by the event's own transform."""
    t = fit(ce.indexed, variant)
    ix = ce.indexed
    selfies = {i: list(t(np.vstack(s))) if s else [] for i, s in ix.selfies.items()}
    moved = IndexedEvent(ix.event, ix.names, ix.boxes, t(ix.embeddings), selfies)
    return crowd.CrowdEvent(moved, ce.selfie_px, ce.identity), t


@contextmanager
def metric_of(t: Transform) -> Iterator[None]:
    """crowd.py's rules read the module's pipeline: point it at this event's metric meanwhile."""
    shipped, centring = crowd.SHIPPED, crowd.CENTRING
    crowd.SHIPPED = Pipeline(f"{shipped.name}, whitened", shipped.engine, shipped.columns, t.metric)
    crowd.CENTRING = 0.0  # the embeddings are moved here: not centred again by the product's rule
    try:
        yield
    finally:
        crowd.SHIPPED, crowd.CENTRING = shipped, centring


# ---------------------------------------------------------------------------------------- sanity


def labelled_pairs(ce: crowd.CrowdEvent) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(selfie or face rows, face rows, genuine?) for selfie x face and face x face pairs of
    the event's labelled faces (faces of other photos only)."""
    ix = ce.indexed
    ident = np.array([i or "" for i in ce.identity])
    labelled = np.nonzero(ident != "")[0]
    q_ident = [i for i, s in ix.selfies.items() for _ in s]
    q_rows = np.repeat(np.arange(len(q_ident)), len(labelled))
    f_rows = np.tile(labelled, len(q_ident))
    selfie_genuine = np.array(q_ident)[q_rows] == ident[f_rows]
    photos = photo_ids(ix)
    a, b = np.triu_indices(len(labelled), k=1)
    a, b = labelled[a], labelled[b]
    other = photos[a] != photos[b]
    a, b = a[other], b[other]
    return {
        "selfie x face": (q_rows, f_rows, selfie_genuine),
        "face x face": (a, b, ident[a] == ident[b]),
    }


def separation(d: Floats, genuine: npt.NDArray[np.bool_]) -> dict[str, float]:
    g, i = d[genuine], d[~genuine]
    d_prime = abs(float(i.mean() - g.mean())) / math.sqrt((float(i.var()) + float(g.var())) / 2)
    thresholds = np.quantile(i, [1e-3, 1e-4])  # impostor distances below: false accepts
    grid = np.quantile(d, np.linspace(0, 1, 2001))
    far = np.searchsorted(np.sort(i), grid, side="right") / len(i)
    frr = 1.0 - np.searchsorted(np.sort(g), grid, side="right") / len(g)
    k = int(np.argmin(np.abs(far - frr)))
    return {
        "dprime": round(d_prime, 3),
        "EER": round(float((far[k] + frr[k]) / 2), 4),
        "TAR@FAR1e-3": round(float((g <= thresholds[0]).mean()), 3),
        "TAR@FAR1e-4": round(float((g <= thresholds[1]).mean()), 3),
    }


def sanity(seeds: list[int], variants: list[Variant]) -> None:
    """Per variant, the separation of genuine and impostor fused distances on the crowd events'
    labelled faces (all seeds pooled, and among the K-pop guests alone)."""
    groups = crowd.source_groups()
    kpop = {i for i, g in groups.items() if g != "Asian_faces"}
    events = {s: crowd.load(dev_event(crowd.FACE_SET, s, crowd.PHOTOS)) for s in seeds}
    print(
        "| variant | pairs | d' | EER | TAR @ FAR 1e-3 | TAR @ FAR 1e-4 | K-pop only: d' / EER / TAR 1e-3 |"
    )
    print("|---|---|---|---|---|---|---|")
    for variant in variants:
        pooled: dict[str, list[tuple[Floats, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]]] = {}
        for ce in events.values():
            moved, t = transformed(ce, variant)
            ix = moved.indexed
            queries = np.vstack([e for s in ix.selfies.values() for e in s])
            q_ident = [i for i, s in ix.selfies.items() for _ in s]
            ident = np.array([i or "" for i in ce.identity])
            for kind, (q, f, genuine) in labelled_pairs(ce).items():
                left = queries[q] if kind == "selfie x face" else ix.embeddings[q]
                left_ident = np.array(q_ident)[q] if kind == "selfie x face" else ident[q]
                sd, ed = half_distances(left, ix.embeddings[f])
                m = t.metric
                d = m.weight / m.cosine_scale * sd + (1 - m.weight) / m.euclidean_scale * ed
                both_kpop = np.isin(left_ident, list(kpop)) & np.isin(ident[f], list(kpop))
                pooled.setdefault(kind, []).append((d, genuine, both_kpop))
        for kind, parts in pooled.items():
            d = np.concatenate([p[0] for p in parts])
            genuine = np.concatenate([p[1] for p in parts])
            k = np.concatenate([p[2] for p in parts])
            s, sk = separation(d, genuine), separation(d[k], genuine[k])
            print(
                f"| {variant.name} | {kind} | {s['dprime']:.3f} | {s['EER']:.4f} | {s['TAR@FAR1e-3']:.3f} | "
                f"{s['TAR@FAR1e-4']:.3f} | {sk['dprime']:.3f} / {sk['EER']:.4f} / {sk['TAR@FAR1e-3']:.3f} |",
                flush=True,
            )


# ---------------------------------------------------------------------------------------- the rules


def scaled_rule(
    rule: crowd.Rule, scale: float, crowd_join: float | None, crowd_link: float = 0.0
) -> crowd.Rule:
    """The product's rule with every distance threshold (grouping link too) times `scale`, the
    crowd join set apart."""
    assert rule.people is not None
    people = replace(rule.people.scaled(scale), link=rule.people.link * scale)
    if crowd_join is not None:
        people = replace(people, crowd_join=crowd_join)
    people = replace(people, crowd_link=crowd_link)  # fifth round's single-link check (0: none)
    return replace(
        rule,
        name=f"{rule.name} x {scale:.3f}, crowd join {people.crowd_join:.3f}, link {crowd_link:.3f}",
        tolerance=rule.tolerance * scale,
        expansion=None if rule.expansion is None else rule.expansion * scale,
        people=people,
    )


def targets(ce: crowd.CrowdEvent, t: Transform, rule: crowd.Rule) -> dict[str, object]:
    with metric_of(t):
        return crowd.targets_met(ce, rule)


def calibrate(
    variant: Variant, seeds: list[int], scales: list[float], joins: list[float], links: list[float]
) -> tuple[float, float, float] | None:
    """The (scale, crowd join, single link) meeting every precision target on every calibration
    seed with the best mean recall (ties: the looser), as crowd.py's `sweep_link`."""
    events = {s: transformed(crowd.load(dev_event(crowd.FACE_SET, s, crowd.PHOTOS)), variant) for s in seeds}
    shipped = crowd.people_rules()[0]
    best: tuple[float, float, float, float] | None = None
    for scale, join, link in ((s, j, k) for s in scales for j in joins for k in links):
        rule = scaled_rule(shipped, scale, join, link)
        results = {s: targets(ce, t, rule) for s, (ce, t) in events.items()}
        line = "; ".join(f"seed {s}: {r['P']:.3f} / {r['R']:.3f} met {r['met']}" for s, r in results.items())
        print(
            f"{variant.name}: scale {scale:.3f} join {join:.3f} link {link:.3f}: {line}",
            file=sys.stderr,
            flush=True,
        )
        if all(r["met"] for r in results.values()):
            recall = sum(float(str(r["R"])) for r in results.values()) / len(results)
            if best is None or (recall, scale, join, link) >= best:
                best = (recall, scale, join, link)
    return None if best is None else (best[1], best[2], best[3])


def score_seeds(
    variant: Variant, scale: float, join: float, link: float, seeds: list[int], dev: bool
) -> None:
    rule = scaled_rule(crowd.people_rules()[0], scale, join, link)
    for s in seeds:
        ce, t = transformed(crowd.load(dev_event(crowd.FACE_SET, s, crowd.PHOTOS)), variant)
        r = targets(ce, t, rule)
        print(f"{variant.name} | seed {s} | {json.dumps(r)}", flush=True)
    if dev:
        for face_set in FACE_SETS:
            ce, t = transformed(crowd.load(dev_event(face_set, 1)), variant)
            guests = ce.indexed.event.queryable()
            with metric_of(t):
                dev_scored = crowd.score(ce, rule, guests, guests)
            print(f"{variant.name} | {face_set} seed 1 | {json.dumps(dev_scored)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sanity", action="store_true", help="separation of genuine / impostor distances")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5], help="--sanity's seeds")
    parser.add_argument("--variant", type=int, nargs="+", help="indexes into VARIANTS (default: all)")
    parser.add_argument("--calibrate", type=int, nargs="+", help="calibration seeds")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0])
    parser.add_argument("--joins", type=float, nargs="+", default=[crowd.SHIPPED_PEOPLE.crowd_join])
    parser.add_argument("--links", type=float, nargs="+", default=[0.0], help="single links (0: none)")
    parser.add_argument("--score", type=int, nargs="+", default=[], help="scored seeds, after --calibrate")
    parser.add_argument("--dev", action="store_true", help="the dev events of seed 1 too")
    parser.add_argument("--crowd-only", action="store_true", help="the variants only in a crowd")
    args = parser.parse_args()
    variants = [VARIANTS[k] for k in args.variant] if args.variant else VARIANTS
    if args.crowd_only:
        variants = [replace(v, name=f"{v.name}, in a crowd only", crowd_only=True) for v in variants]
    started, cpu = time.monotonic(), time.process_time()
    if args.sanity:
        sanity(args.seeds, variants)
    if args.calibrate:
        for variant in variants:
            chosen = calibrate(variant, args.calibrate, args.scales, args.joins, args.links)
            print(
                f"{variant.name}: calibrated on seeds {args.calibrate}: (scale, crowd join, link) {chosen}",
                flush=True,
            )
            if chosen is not None and (args.score or args.dev):
                score_seeds(variant, *chosen, args.score, args.dev)
    print(f"{time.monotonic() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
