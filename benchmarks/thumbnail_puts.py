"""What storing one photo's thumbnail costs as an event grows (issue 15: big events' indexing).

    python benchmarks/thumbnail_puts.py [--photos 1000 10000 50000] [--layout folder flat]

For each size N: a ThumbnailStore whose event already holds N photos' thumbnails (empty files, in
the store's layout), then 100 `put`s of new photos, as indexing makes them; CPU time a put
(`time.process_time`). `flat` lays the existing files out as the store did before a folder per
photo (`<event>/<photo>-<key>.jpg`): run it against a checkout of that code to compare.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from eventface.services.thumbnails import ThumbnailStore

PUTS = 100


def existing(event_dir: Path, photos: int, layout: str) -> None:
    for i in range(photos):
        if layout == "flat":
            (event_dir / f"{i}-k{i}.jpg").write_bytes(b"x")
        else:
            (event_dir / str(i)).mkdir()
            (event_dir / str(i) / f"k{i}.jpg").write_bytes(b"x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--layout", choices=["folder", "flat"], default="folder")
    args = parser.parse_args()
    print("| photos in the event | CPU ms a put |\n|---|---|")
    for n in args.photos:
        with tempfile.TemporaryDirectory() as root:
            store = ThumbnailStore(Path(root), 480, 10**9)
            (Path(root) / "1").mkdir()
            existing(Path(root) / "1", n, args.layout)
            started = time.process_time()
            for i in range(n, n + PUTS):
                store.put(1, i, f"k{i}", b"jpeg")
            print(f"| {n} | {(time.process_time() - started) / PUTS * 1000:.2f} |")


if __name__ == "__main__":
    main()
