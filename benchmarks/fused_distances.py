"""The fused metric's distances on one core: a guest's queries against a mid-size event's faces.

    python benchmarks/fused_distances.py [--faces 30000] [--queries 1 3 16 65 130]

`FusedMetric.distances` as the exact index calls it (synthetic rows, 128 + 128 dimensions), numpy's
BLAS on one thread as in the web process (matching/blas_threads.py), beside the formulation before
2026-12-02 (one product of block-diagonal queries). CPU ms a call, best of 3 rounds of 20.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from eventface.domain.distance import FusedMetric, Matrix

METRIC = FusedMetric(split=128, cosine_scale=0.505, euclidean_scale=0.39)


def block_diagonal(queries: Matrix, faces: Matrix, terms: Matrix) -> Matrix:
    """The formulation before 2026-12-02: both parts' dot products in one product."""
    s, q, m = METRIC.split, len(queries), METRIC
    blocks = np.zeros((2 * q, faces.shape[1]), np.float32)
    blocks[:q, :s] = queries[:, :s]
    blocks[q:, s:] = queries[:, s:]
    dots = blocks @ faces.T
    q_sq = np.einsum("ij,ij->i", queries[:, s:], queries[:, s:])
    euclidean = np.sqrt(np.maximum(q_sq[:, None] + terms[None, :] - 2.0 * dots[q:], 0.0))
    fused = m.weight / m.cosine_scale * (1.0 - dots[:q]) + (1.0 - m.weight) / m.euclidean_scale * euclidean
    return fused.astype(np.float32, copy=False)


def cpu_ms(call: object, *args: Matrix) -> float:
    assert callable(call)
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(20):
            call(*args)
        best = min(best, (time.process_time() - started) / 20 * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=30_000)
    parser.add_argument("--queries", type=int, nargs="+", default=[1, 3, 16, 65, 130])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    faces = rng.standard_normal((args.faces, 256)).astype(np.float32)
    terms = METRIC.face_terms(faces)
    print("| queries | block-diagonal ms | per part, in place ms | largest difference |\n|---|---|---|---|")
    with threadpool_limits(1):
        for n in args.queries:
            queries = rng.standard_normal((n, 256)).astype(np.float32)
            before, now = (
                cpu_ms(block_diagonal, queries, faces, terms),
                cpu_ms(METRIC.distances, queries, faces, terms),
            )
            diff = float(
                np.abs(block_diagonal(queries, faces, terms) - METRIC.distances(queries, faces, terms)).max()
            )
            print(f"| {n} | {before:.2f} | {now:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
