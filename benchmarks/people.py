"""People groups (issue 11): the event's faces grouped into people, a guest matched to people.

    python benchmarks/people.py              # crowd seed 1 scored, seed 2 for calibration
    python benchmarks/people.py --explore    # every grouping x every guest rule on seed 2

Reads the caches of benchmarks/crowd.py (benchmarks/out/crowd/*.npz: the product's indexed
faces and selfie faces, fusion engine) for the crowd events, and builds and caches the same
for the Western and East Asian dev events of accuracy.py (seed 1) through crowd.load.

Groupings (average / complete linkage with cannot-link, dlib's chinese_whispers) and guest
rules are scored in numpy on the fused distances; each rule's one free distance is the
loosest that keeps precision >= 0.98 on the calibration seed. The chosen rule is then run
through the product's own eventface.matching.people (PeopleGroups + match_people) on the
crowd and dev events, and the incremental grouping is checked against the batch one.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crowd import (
    CROWD_SIZES,
    FACE_SET,
    PHOTOS,
    SHIPPED,
    CrowdEvent,
    crowd_order,
    distances,
    load,
    source_groups,
)
from crowd import Rule as CrowdRule
from crowd import score as crowd_score
from eventface.faces import fusion_engine
from eventface.matching.people import PeopleGroups, PeopleRule, average_linkage, group_faces, match_people
from events import CROWD_SETS, FACE_SETS, dev_event, precision_recall

TARGET_PRECISION = 0.98


# ---------------------------------------------------------------------------------------- the event


@dataclass
class View:
    """An event's faces (possibly restricted to a crowd of identities) and its guests."""

    names: list[str]  # per face: photo name
    photo: np.ndarray  # per face: photo number
    identity: list[str | None]  # per face: ground truth
    between: np.ndarray  # face x face fused distance, inf on the diagonal and within a photo
    to_guest: dict[str, np.ndarray]  # guest -> per face, distance to the closest selfie
    truth: dict[str, set[str]]  # guest -> photo names
    groups: dict[str, str] = field(default_factory=dict)  # guest -> source group


def full_view(ce: CrowdEvent) -> View:
    ix = ce.indexed
    number = {name: k for k, name in enumerate(ix.photo_names)}
    photo = np.array([number[n] for n in ix.names], np.int64)
    between = distances(ix.embeddings, ix.embeddings).astype(np.float64)
    between[photo[:, None] == photo[None, :]] = np.inf  # cannot-link (and the diagonal)
    to_guest = {
        g: distances(np.vstack(s), ix.embeddings).min(axis=0).astype(np.float64)
        if s
        else np.full(len(photo), np.inf)
        for g, s in ix.selfies.items()
    }
    truth = {g: ix.event.photos_of(g) for g in ix.event.queryable()}
    return View(list(ix.names), photo, list(ce.identity), between, to_guest, truth)


def sub_view(v: View, crowd: set[str], guests: list[str]) -> View:
    keep = np.array([i is None or i in crowd for i in v.identity], bool)
    idx = np.flatnonzero(keep)
    return View(
        [v.names[k] for k in idx],
        v.photo[idx],
        [v.identity[k] for k in idx],
        v.between[np.ix_(idx, idx)],
        {g: v.to_guest[g][idx] for g in guests},
        {g: v.truth[g] for g in guests},
        v.groups,
    )


# ---------------------------------------------------------------------------------------- groupings


def agglomerate(between: np.ndarray, link: float, linkage: str = "average") -> np.ndarray:
    """Agglomerative clustering with cannot-link (inf distances never merge), up to `link`."""
    n = len(between)
    s = between.copy()
    size = np.ones(n)
    label = np.arange(n)
    alive = np.ones(n, bool)
    while True:
        flat = int(np.argmin(s))
        a, b = divmod(flat, n)
        if not s[a, b] <= link:
            break
        if linkage == "average":
            row = (size[a] * s[a] + size[b] * s[b]) / (size[a] + size[b])
        elif linkage == "complete":
            row = np.maximum(s[a], s[b])
        else:  # single, cannot-link kept
            row = np.where(np.isinf(s[a]) | np.isinf(s[b]), np.inf, np.minimum(s[a], s[b]))
        row[~alive] = np.inf
        s[a], s[:, a] = row, row
        s[a, a] = np.inf
        s[b], s[:, b] = np.inf, np.inf
        size[a] += size[b]
        alive[b] = False
        label[label == b] = a
    return label


def whispers(between: np.ndarray, link: float) -> np.ndarray:
    import dlib  # noqa: PLC0415 - the benchmark's only dlib use, a comparison the product does not ship

    i, j = np.nonzero(np.triu(between <= link, 1))
    edges = [(int(a), int(b), float(1.0 - between[a, b] / link + 0.05)) for a, b in zip(i, j, strict=True)]
    edges += [
        (k, k, 1e-3) for k in range(len(between))
    ]  # every face listed; a self-loop must not outweigh a neighbour
    return np.array(dlib.chinese_whispers(edges), np.int64)


def split_cannot_link(between: np.ndarray, label: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """Chinese whispers ignores cannot-link: re-cluster (average linkage) any group holding two
    faces of one photo."""
    out = label.copy()
    nxt = int(label.max()) + 1
    for g in np.unique(label):
        m = np.flatnonzero(label == g)
        if len(set(photo[m].tolist())) == len(m):
            continue
        sub = agglomerate(between[np.ix_(m, m)], math.inf)
        for s in np.unique(sub):
            out[m[sub == s]] = nxt
            nxt += 1
    return out


def grouping_quality(v: View, label: np.ndarray) -> dict[str, float]:
    """Pairwise precision/recall of the grouping against the ground truth (detections only)."""
    ids = np.array([i or f"none{k}" for k, i in enumerate(v.identity)])
    same_true = ids[:, None] == ids[None, :]
    same_group = label[:, None] == label[None, :]
    off = ~np.eye(len(ids), dtype=bool)
    tp = (same_true & same_group & off).sum()
    return {
        "pair_P": round(float(tp / max(1, (same_group & off).sum())), 3),
        "pair_R": round(float(tp / max(1, (same_true & off).sum())), 3),
        "groups": len(np.unique(label)),
    }


# ---------------------------------------------------------------------------------------- guest rules


@dataclass(frozen=True)
class GuestRule:
    name: str
    tolerance: float  # a face this close to a selfie is a member hit
    min_hits: int = 1  # a group is the guest when it holds at least this many hits ...
    min_share: float = 0.0  # ... and this share of its members are hits
    mean_within: float = math.inf  # ... and the mean member distance is within this
    singles: float | None = None  # a face in a group too small for min_hits: accepted within this
    stranger_guard: bool = False  # drop a member nearer to a face of an unaccepted group than to the guest
    drop_closer_elsewhere: bool = True  # drop a member closer (mean) to another group than to its own
    join: float | None = None  # instead: the guest joins groups by average linkage up to this
    weight: float = 1.0  # ... counting as this many faces


@dataclass
class Groups:
    """A grouping's per-group numbers, shared by every guest's search."""

    inverse: np.ndarray  # per face: group number
    size: np.ndarray
    mean: np.ndarray  # group x group mean face distance, inf when the two share a photo
    elsewhere: np.ndarray  # per face: closer (mean) to another group than to its own


_GROUPS: dict[tuple[int, bytes], Groups] = {}


def groups_of(v: View, label: np.ndarray) -> Groups:
    key = (id(v), label.tobytes())
    if key not in _GROUPS:
        _GROUPS.clear()
        _GROUPS[key] = _groups_of(v, label)
    return _GROUPS[key]


def _groups_of(v: View, label: np.ndarray) -> Groups:
    _, inverse, size = np.unique(label, return_inverse=True, return_counts=True)
    onehot = np.zeros((len(inverse), len(size)))
    onehot[np.arange(len(inverse)), inverse] = 1.0
    finite = np.where(np.isinf(v.between), 0.0, v.between)
    mean = (onehot.T @ finite @ onehot) / np.outer(size, size)
    photos = np.zeros((len(size), int(v.photo.max()) + 1))
    photos[inverse, v.photo] = 1.0
    mean[(photos @ photos.T) > 0] = np.inf
    return Groups(inverse, size, mean, closer_elsewhere(v, inverse, len(size)))


def joined(gr: Groups, d: np.ndarray, link: float, weight: float) -> np.ndarray:
    """The guest (one node at distance d from each face, `weight` faces' worth) joins groups by
    average linkage, closest first, while the mean distance is within `link`; never two
    groups that share a photo. Returns the mask of joined groups."""
    dg = np.bincount(gr.inverse, weights=np.minimum(d, 10.0), minlength=len(gr.size)) / gr.size
    total = weight * dg  # sum over the cluster's nodes of node weight x mean distance to h
    mass = weight
    joined = np.zeros(len(gr.size), bool)
    while True:
        cand = np.where(joined, np.inf, total / mass)
        h = int(np.argmin(cand))
        if not cand[h] <= link:
            return joined
        joined[h] = True
        total = total + gr.size[h] * gr.mean[h]
        mass += gr.size[h]


def accept(v: View, label: np.ndarray, guest: str, rule: GuestRule, gr: Groups | None = None) -> np.ndarray:
    """Mask of faces returned for the guest."""
    d = v.to_guest[guest]
    gr = gr or groups_of(v, label)
    if rule.join is not None:
        chosen = joined(gr, d, rule.join, rule.weight)[gr.inverse]
        return guarded(v, d, chosen) if rule.stranger_guard else chosen
    hits = d <= rule.tolerance
    inverse, size = gr.inverse, gr.size
    n_hits = np.bincount(inverse, weights=hits, minlength=len(size))
    mean_d = np.bincount(inverse, weights=np.minimum(d, 10.0), minlength=len(size)) / size
    ok = (n_hits >= rule.min_hits) & (n_hits >= rule.min_share * size) & (mean_d <= rule.mean_within)
    chosen = ok[inverse]
    if rule.singles is not None:
        chosen |= (size[inverse] < rule.min_hits) & (d <= rule.singles)
    if rule.drop_closer_elsewhere:
        chosen &= ~gr.elsewhere
    return guarded(v, d, chosen) if rule.stranger_guard else chosen


def guarded(v: View, d: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Without the faces nearer to a face not chosen than to the guest."""
    nearer = (v.between < d[:, None]) & ~chosen[None, :]
    return chosen & ~nearer.any(axis=1)


def closer_elsewhere(v: View, inverse: np.ndarray, n_groups: int) -> np.ndarray:
    """Per face: its mean distance to some other group is below its mean distance to its own."""
    finite = np.where(np.isinf(v.between), np.nan, v.between)
    onehot = np.zeros((len(inverse), n_groups))
    onehot[np.arange(len(inverse)), inverse] = 1.0
    valid = ~np.isnan(finite)
    sums = np.nan_to_num(finite) @ onehot
    counts = valid.astype(float) @ onehot
    mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    own = mean[np.arange(len(inverse)), inverse]
    mean[np.arange(len(inverse)), inverse] = np.inf
    # a face alone in its group has no own mean: judge it only by the guest rule
    return np.isfinite(own) & (mean.min(axis=1) < own)


def returned_photos(v: View, label: np.ndarray, rule: GuestRule) -> dict[str, set[str]]:
    out = {}
    gr = groups_of(v, label)
    for g in v.truth:
        mask = accept(v, label, g, rule, gr)
        out[g] = {v.names[k] for k in np.flatnonzero(mask)}
    return out


def score(v: View, label: np.ndarray, rule: GuestRule) -> dict[str, float]:
    got = returned_photos(v, label, rule)
    p, r = precision_recall(got, v.truth)
    return {
        "P": round(p, 3),
        "R": round(r, 3),
        "false_photos": sum(len(got[i] - v.truth[i]) for i in v.truth),
    }


Grouping = Callable[[View], np.ndarray]


def groupings() -> dict[str, Grouping]:
    out: dict[str, Grouping] = {"none (every face alone)": lambda v: np.arange(len(v.names))}
    for t in (0.9, 1.0, 1.05, 1.1, 1.15):
        out[f"average linkage {t}"] = lambda v, t=t: average_linkage(v.between, v.photo, t)
    for t in (1.0, 1.1):
        out[f"complete linkage {t}"] = lambda v, t=t: agglomerate(v.between, t, "complete")
    for t in (0.9, 1.0):
        out[f"chinese whispers {t} + cannot-link split"] = lambda v, t=t: split_cannot_link(
            v.between, whispers(v.between, t), v.photo
        )
    return out


def families() -> dict[str, Callable[[float], GuestRule]]:
    """Guest rules with one free number (a distance), calibrated for precision."""
    return {
        "a member within t": lambda t: GuestRule("", t),
        "a member within t, guarded": lambda t: GuestRule("", t, stranger_guard=True),
        "2 members within t (or a lone face)": lambda t: GuestRule("", t, min_hits=2, singles=t),
        "2 members within t (or a lone face), guarded": lambda t: GuestRule(
            "", t, min_hits=2, singles=t, stranger_guard=True
        ),
        "3 members within t (or a small group's faces within t), guarded": lambda t: GuestRule(
            "", t, min_hits=3, singles=t, stranger_guard=True
        ),
        "half the members within t": lambda t: GuestRule("", t, min_share=0.5),
        "half the members within t, guarded": lambda t: GuestRule("", t, min_share=0.5, stranger_guard=True),
        "guest joins by average linkage up to t": lambda t: GuestRule("", t, join=t),
        "guest joins by average linkage up to t, guarded": lambda t: GuestRule(
            "", t, join=t, stranger_guard=True
        ),
        "guest (x3) joins by average linkage up to t": lambda t: GuestRule("", t, join=t, weight=3.0),
    }


def loosest(
    v: View, label: np.ndarray, family: Callable[[float], GuestRule]
) -> tuple[GuestRule, dict[str, float]]:
    """The loosest rule of the family before precision on `v` first falls below target."""
    best = family(0.8)
    best_score = score(v, label, best)
    for t in np.arange(0.8, 1.4, 0.01):
        rule = family(round(float(t), 4))
        s = score(v, label, rule)
        if s["P"] < TARGET_PRECISION:
            break
        best, best_score = rule, s
    return best, best_score


def explore(v: View) -> None:
    for gname, fn in groupings().items():
        started = time.monotonic()
        label = fn(v)
        q = grouping_quality(v, label)
        print(f"## {gname}: {q} ({time.monotonic() - started:.1f} s)", flush=True)
        for fname, family in families().items():
            rule, s = loosest(v, label, family)
            print(f"  {fname}: t={rule.tolerance} {s}", flush=True)


# ---------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Candidate:
    name: str
    grouping: Grouping
    family: Callable[[float], GuestRule]


def scored_rows(
    cal: View, scored: View, candidates: list[Candidate], every_target: bool = False
) -> list[dict[str, object]]:
    """Each candidate calibrated on `cal` (loosest t with P >= target; with `every_target`, with
    every precision target of issue 11 met), scored on `scored`: all guests, per source group,
    and at 10 / 30 / 64 identities."""
    order = crowd_order(scored.groups)
    rows = []
    for c in candidates:
        rule = (
            loosest_for_every_target(cal, c) if every_target else loosest(cal, c.grouping(cal), c.family)[0]
        )
        row: dict[str, object] = {"rule": c.name, "t": rule.tolerance}
        label = c.grouping(scored)
        row["all"] = score(scored, label, rule)
        for group in sorted(set(scored.groups.values())):
            guests = [i for i in order if scored.groups[i] == group]
            row[group] = score(sub_view(scored, set(order), guests), label, rule)
        for n in CROWD_SIZES:
            crowd = sub_view(scored, set(order[:n]), order[:n])
            row[f"crowd {n}"] = score(crowd, c.grouping(crowd), rule)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def print_rows(rows: list[dict[str, object]]) -> None:
    groups = [k for k in rows[0] if k not in {"rule", "t", "all"} and not k.startswith("crowd")]
    cell = lambda s: f"{s['P']:.3f} / {s['R']:.3f}"  # noqa: E731
    print("| rule (t calibrated on seed 2) | t | all P / R | false photos | " + " | ".join(groups) + " |")
    print("|---|---|---|---|" + "---|" * len(groups))
    for r in rows:
        a = r["all"]
        print(
            f"| {r['rule']} | {r['t']} | {cell(a)} | {a['false_photos']} | "
            + " | ".join(cell(r[g]) for g in groups)
            + " |"
        )  # type: ignore[index]
    print()
    print("| rule | " + " | ".join(f"{n} identities P / R" for n in CROWD_SIZES) + " |")
    print("|---|" + "---|" * len(CROWD_SIZES))
    for r in rows:
        print(f"| {r['rule']} | " + " | ".join(cell(r[f"crowd {n}"]) for n in CROWD_SIZES) + " |")  # type: ignore[index]


def meets_precision_targets(v: View, label_of: Grouping, rule: GuestRule) -> bool:
    """Every precision target of issue 11 on `v` (all identities): P >= 0.98 overall, every
    source group of guests P >= 0.95, and P at 64 identities within 0.01 of P at 10."""
    order = crowd_order(v.groups)
    if score(v, label_of(v), rule)["P"] < TARGET_PRECISION:
        return False
    for group in set(v.groups.values()):
        guests = [i for i in order if v.groups[i] == group]
        if score(sub_view(v, set(order), guests), label_of(v), rule)["P"] < 0.95:
            return False
    small = sub_view(v, set(order[:10]), order[:10])
    return score(v, label_of(v), rule)["P"] >= score(small, label_of(small), rule)["P"] - 0.01


def loosest_for_every_target(cal: View, c: Candidate) -> GuestRule:
    """The loosest rule of the family before any precision target first fails on `cal`."""
    best = c.family(0.8)
    for t in np.arange(0.8, 1.4, 0.01):
        rule = c.family(round(float(t), 4))
        if not meets_precision_targets(cal, c.grouping, rule):
            break
        best = rule
    return best


WINNER_LINK = 1.0
JOIN_GUARDED = "guest joins by average linkage up to t, not nearer to a stranger"
WINNER = f"groups (average linkage {WINNER_LINK}): {JOIN_GUARDED}"


def crowd_views(seed: int, calibration_seed: int) -> tuple[View, View]:
    groups = source_groups()
    out = []
    for s in (calibration_seed, seed):
        v = full_view(load(dev_event(FACE_SET, s, PHOTOS)))
        v.groups = groups
        out.append(v)
    return out[0], out[1]


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return bool((np.equal.outer(a, a) == np.equal.outer(b, b)).all())


def incremental_check(ce: CrowdEvent, link: float, orders: int = 3) -> dict[str, object]:
    """The product's PeopleGroups fed one photo at a time, in random orders, against
    group_faces on the whole event and against average_linkage on the full matrix."""
    ix = ce.indexed
    number = {name: k for k, name in enumerate(ix.photo_names)}
    photos = np.array([number[n] for n in ix.names], np.int64)
    ids = np.arange(len(photos), dtype=np.int64)
    metric = SHIPPED.metric
    started = time.monotonic()
    batch = group_faces(ids, photos, ix.embeddings, metric, link)
    batch_s = time.monotonic() - started
    between = distances(ix.embeddings, ix.embeddings).astype(np.float64)
    full = average_linkage(between, photos, link)
    equal, add_s = [], []
    for seed in range(orders):
        groups = PeopleGroups(metric, link, ix.embeddings.shape[1])
        for p in np.random.default_rng(seed).permutation(len(number)):
            at = photos == p
            t0 = time.monotonic()
            groups.add(ids[at], photos[at], ix.embeddings[at])
            add_s.append(time.monotonic() - t0)
        got = dict(zip(groups.face_ids.tolist(), groups.labels.tolist(), strict=True))
        equal.append(all(got[i] == b for i, b in zip(ids.tolist(), batch.tolist(), strict=True)))
    return {
        "faces": len(ids),
        "incremental equals batch (random photo orders)": equal,
        "components equal full-matrix average linkage": same_partition(batch, full),
        "batch s": round(batch_s, 3),
        "add one photo, median ms": round(1000 * float(np.median(add_s)), 2),
        "add one photo, max ms": round(1000 * float(np.max(add_s)), 2),
    }


def shipped_default(ce: CrowdEvent) -> dict[str, float]:
    """The product's match_faces as shipped (1.075 + expansion), for comparison."""
    everyone = ce.indexed.event.queryable()
    return crowd_score(
        ce, CrowdRule("", fusion_engine.TOLERANCE, fusion_engine.EXPANSION_TOLERANCE), everyone, everyone
    )


def dev_rows(candidates: list[tuple[Candidate, GuestRule]], seed: int) -> list[dict[str, object]]:
    """The rules calibrated on the crowd, unchanged, on the Western and East Asian dev events."""
    rows = []
    for face_set in FACE_SETS:
        ce = load(dev_event(face_set, seed))
        v = full_view(ce)
        rows.append({"event": face_set, "rule": "shipped default (1.075 + expansion)", **shipped_default(ce)})
        for c, rule in candidates:
            rows.append(
                {"event": face_set, "rule": c.name, "t": rule.tolerance, **score(v, c.grouping(v), rule)}
            )
        for r in rows[-len(candidates) - 1 :]:
            print(json.dumps(r), file=sys.stderr, flush=True)
    return rows


def product_score(ce: CrowdEvent, rule: PeopleRule) -> dict[str, float]:
    """The product's own match_people on the event's faces, grouped by PeopleGroups."""
    ix = ce.indexed
    names = ix.photo_names
    number = {name: k for k, name in enumerate(names)}
    photos = np.array([number[n] for n in ix.names], np.int64)
    groups = PeopleGroups(SHIPPED.metric, rule.link, ix.embeddings.shape[1])
    groups.add(np.arange(len(photos), dtype=np.int64), photos, ix.embeddings)
    got, started = {}, time.monotonic()
    for guest in ix.event.queryable():
        selfies = ix.selfies[guest]
        queries = np.vstack(selfies) if selfies else np.zeros((0, ix.embeddings.shape[1]), np.float32)
        got[guest] = {names[p] for p in match_people(groups, queries, rule).photo_ids.tolist()}
    search_ms = 1000 * (time.monotonic() - started) / len(got)
    want = {g: ix.event.photos_of(g) for g in got}
    p, r = precision_recall(got, want)
    return {
        "P": round(p, 3),
        "R": round(r, 3),
        "false_photos": sum(len(got[i] - want[i]) for i in want),
        "ms per guest": round(search_ms, 1),
    }


def every_target_report(cal: View, scored: View, seed: int) -> int:
    """The shipped people rule (groups at link 1.0, the guest joins, guarded) with its join
    calibrated on P >= 0.98 alone and on every precision target; scored on the crowd and,
    through the product's match_people, on the dev events."""
    grouping: Grouping = lambda v: average_linkage(v.between, v.photo, WINNER_LINK)  # noqa: E731
    family = families()["guest joins by average linkage up to t, guarded"]
    winner = Candidate(WINNER, grouping, family)
    rows = scored_rows(cal, scored, [winner])
    rows += scored_rows(cal, scored, [replace(winner, name=WINNER + ", every precision target")], True)
    print_rows(rows)
    for row in rows:
        rule = PeopleRule(link=WINNER_LINK, join=float(row["t"]))  # type: ignore[arg-type]
        for face_set in FACE_SETS:
            print(row["rule"], face_set, json.dumps(product_score(load(dev_event(face_set, seed)), rule)))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--explore", action="store_true")
    parser.add_argument(
        "--targets", action="store_true", help="the shipped rule's join calibrated on every precision target"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calibration-seed", type=int, default=2)
    args = parser.parse_args()
    if not CROWD_SETS[FACE_SET].is_dir():
        sys.exit(f"skipped: {CROWD_SETS[FACE_SET]} is absent (the shared crowd face set is needed)")
    cal, scored = crowd_views(args.seed, args.calibration_seed)
    if args.explore:
        explore(cal)
        return 0
    if args.targets:
        return every_target_report(cal, scored, args.seed)
    started = time.monotonic()
    fam = families()
    alone: Grouping = lambda v: np.arange(len(v.names))  # noqa: E731
    candidates = [
        Candidate(
            "every face alone: a face within t (per selfie, no expansion)", alone, fam["a member within t"]
        ),
        Candidate(
            "every face alone: within t, not nearer to a stranger", alone, fam["a member within t, guarded"]
        ),
        Candidate(
            "every face alone: guest joins by average linkage up to t, not nearer to a stranger",
            alone,
            fam["guest joins by average linkage up to t, guarded"],
        ),
    ]
    for link in (1.0, 1.1):
        grouping: Grouping = lambda v, link=link: average_linkage(v.between, v.photo, link)  # noqa: E731
        candidates += [
            Candidate(
                f"groups (average linkage {link}): a member within t, guarded",
                grouping,
                fam["a member within t, guarded"],
            ),
            Candidate(
                f"groups (average linkage {link}): 2 members within t (or a lone face), guarded",
                grouping,
                fam["2 members within t (or a lone face), guarded"],
            ),
            Candidate(
                f"groups (average linkage {link}): guest joins by average linkage up to t",
                grouping,
                fam["guest joins by average linkage up to t"],
            ),
            Candidate(
                f"groups (average linkage {link}): {JOIN_GUARDED}",
                grouping,
                fam["guest joins by average linkage up to t, guarded"],
            ),
        ]
    rows = scored_rows(cal, scored, candidates)
    print_rows(rows)
    winner = next(r for r in rows if r["rule"] == WINNER)
    rule = PeopleRule(link=WINNER_LINK, join=float(winner["t"]))  # type: ignore[arg-type]
    print(f"\nThe product's match_people, {rule}:")
    print(
        "crowd seed", args.seed, json.dumps(product_score(load(dev_event(FACE_SET, args.seed, PHOTOS)), rule))
    )
    for face_set in FACE_SETS:
        ce = load(dev_event(face_set, args.seed))
        print(face_set, "seed", args.seed, "shipped default:", json.dumps(shipped_default(ce)))
        print(face_set, "seed", args.seed, "people:", json.dumps(product_score(ce, rule)))
    print(
        "\nincremental grouping:",
        json.dumps(incremental_check(load(dev_event(FACE_SET, args.seed, PHOTOS)), WINNER_LINK)),
    )
    print(f"\n{time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
