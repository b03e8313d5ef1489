"""People groups at scale: 30 000 faces grouped at once and one guest's match_people; with
`--incremental`, what keeping each face's neighbours for the hub correction costs.

    python benchmarks/people_scale.py                   # 10 000 photos, grouped at once
    python benchmarks/people_scale.py --incremental     # 1 000 and 2 000 photos, photo by photo
    python benchmarks/people_scale.py --incremental --photos 10000 --lists-only   # 30 000 faces

The faces are the crowd event's 540 real faces (benchmarks/out/crowd, seed 1), each copied
with small noise, 3 per photo: a worst case for grouping, every person becoming many
near-identical faces in one component. `--incremental` builds the groups with the neighbour
lists (what an event gets when its engine's rule corrects hubs in a crowd) and times, in CPU
time of this process, the whole build at once and then adding and removing one photo at a time,
and the process's peak resident memory.
"""

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crowd import SHIPPED, SHIPPED_PEOPLE, load
from eventface.matching.people import PeopleGroups, PeopleRule, group_faces, match_people
from events import dev_event


def copies(photos: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ids, photo ids, embeddings) of `photos` x 3 noisy copies of the crowd's faces, and the
    selfies of irene."""
    ix = load(dev_event("faces_crowd_asia", 1, 200)).indexed
    rng = np.random.default_rng(seed)
    n = 3 * photos
    base = ix.embeddings[rng.integers(0, len(ix.embeddings), n)]
    emb = (base + rng.normal(scale=0.02, size=base.shape)).astype(np.float32)
    emb[:, :128] /= np.linalg.norm(emb[:, :128], axis=1, keepdims=True)
    return np.arange(n, dtype=np.int64), np.arange(n) // 3, emb, np.vstack(ix.selfies["irene"])


def at_once(photos: int) -> None:
    ids, photo_ids, emb, q = copies(photos)
    t = time.monotonic()
    lab = group_faces(ids, photo_ids, emb, SHIPPED.metric, 1.0)
    print("batch 30k s", round(time.monotonic() - t, 1), "groups", len(np.unique(lab)))
    g = PeopleGroups(SHIPPED.metric, 1.0, 256)
    g.add(ids, photo_ids, emb)
    t = time.monotonic()
    a = match_people(g, q, PeopleRule(1.0, 1.2))
    print("search 30k ms", round(1000 * (time.monotonic() - t)), len(a.face_ids))


def incremental(photos: int, neighbours: bool, steps: int = 20) -> None:
    ids, photo_ids, emb, q = copies(photos)
    last = photo_ids >= photos - steps
    g = PeopleGroups(SHIPPED.metric, SHIPPED_PEOPLE.link, 256, neighbours=neighbours)
    cpu = time.process_time()
    g.add(ids[~last], photo_ids[~last], emb[~last])
    build = time.process_time() - cpu
    adds, removes = [], []
    for photo in range(photos - steps, photos):
        at = photo_ids == photo
        cpu = time.process_time()
        g.add(ids[at], photo_ids[at], emb[at])
        adds.append(time.process_time() - cpu)
    for photo in range(photos - steps, photos):
        cpu = time.process_time()
        g.remove(np.array([photo], np.int64))
        removes.append(time.process_time() - cpu)
    cpu = time.process_time()
    got = match_people(g, q, SHIPPED_PEOPLE)
    search = time.process_time() - cpu
    print(
        f"{photos} photos ({len(ids)} faces, {g.people()} groups of 2+), neighbours {neighbours}: "
        f"build {build:.2f} s CPU, add a photo {1000 * statistics.median(adds):.1f} ms, "
        f"remove a photo {1000 * statistics.median(removes):.1f} ms (median CPU), "
        f"search {1000 * search:.0f} ms CPU, {len(got.face_ids)} faces, "
        f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--photos", type=int, nargs="+", default=[1000, 2000], help="with --incremental")
    parser.add_argument("--lists-only", action="store_true", help="only the groups with neighbour lists")
    args = parser.parse_args()
    if args.incremental:
        for n in args.photos:
            # what the neighbour lists add to the grouping
            for neighbours in (True,) if args.lists_only else (False, True):
                incremental(n, neighbours)
    else:
        at_once(10_000)
