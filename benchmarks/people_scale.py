"""People groups at 10 000 photos: 30 000 faces grouped at once, and one guest's match_people.

    python benchmarks/people_scale.py

The faces are the crowd event's 540 real faces (benchmarks/out/crowd, seed 1), each copied
~55 times with small noise, 3 per photo: a worst case for grouping, every person becoming
~470 near-identical faces in one component.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crowd import SHIPPED, load
from eventface.matching.people import PeopleGroups, PeopleRule, group_faces, match_people
from events import dev_event

if __name__ == "__main__":
    ix = load(dev_event("faces_crowd_asia", 1, 200)).indexed
    rng = np.random.default_rng(0)
    base = ix.embeddings[rng.integers(0, len(ix.embeddings), 30000)]
    emb = (base + rng.normal(scale=0.02, size=base.shape)).astype(np.float32)
    emb[:, :128] /= np.linalg.norm(emb[:, :128], axis=1, keepdims=True)
    photos = np.arange(30000) // 3
    ids = np.arange(30000, dtype=np.int64)
    t = time.monotonic()
    lab = group_faces(ids, photos, emb, SHIPPED.metric, 1.0)
    print("batch 30k s", round(time.monotonic() - t, 1), "groups", len(np.unique(lab)))
    g = PeopleGroups(SHIPPED.metric, 1.0, 256)
    g.add(ids, photos, emb)
    q = np.vstack(ix.selfies["irene"])
    t = time.monotonic()
    a = match_people(g, q, PeopleRule(1.0, 1.2))
    print("search 30k ms", round(1000 * (time.monotonic() - t)), len(a.face_ids))
