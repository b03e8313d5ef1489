"""`eventface search EVENT SELFIE...`: the photos a guest appears in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from eventface.cli.options import DataDir, fail, runtime
from eventface.errors import NoUsableSelfieError
from eventface.services.search import SearchResult, Selfie, find_photos

out = Console(soft_wrap=True)
MAX_SELFIES = 3


def search(
    event: Annotated[str, typer.Argument(help="Event id or slug")],
    selfies: Annotated[
        list[Path], typer.Argument(help="1 to 3 selfies of the guest", exists=True, dir_okay=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    data_dir: DataDir = None,
) -> None:
    """Find the photos in which the person in the selfies appears, closest match first."""
    if not 1 <= len(selfies) <= MAX_SELFIES:
        fail(f"give 1 to {MAX_SELFIES} selfies, not {len(selfies)}")
    try:
        with runtime(data_dir) as rt, rt.transactions() as uow:
            engine = rt.face_engine(uow.events.find(event).engine)
            result = find_photos(
                uow,
                rt.index,
                engine,
                event,
                [Selfie(str(p), p.read_bytes()) for p in selfies],
                rt.search_limits(engine),
            )
    except NoUsableSelfieError as exc:
        reports = exc.reports if isinstance(exc.reports, list) else []
        why = "; ".join(
            f"{path}: {report['message']}" for path, report in zip(selfies, reports, strict=False)
        )
        fail(f"{exc} ({why})" if why else str(exc))
    if as_json:
        print(json.dumps(to_json(result), ensure_ascii=False))
    else:
        print_table(result)


def to_json(result: SearchResult) -> dict[str, object]:
    return {
        "matches": [
            {
                "photo_id": m.photo_id,
                "name": m.name,
                "path": m.source_file_id,
                "distance": round(m.distance, 4),
                # how much farther the nearest stranger is than the guest (null: none near)
                "margin": None if m.margin is None else round(m.margin, 4),
                "via": "expansion" if m.expanded else "selfie",
            }
            for m in result.matches
        ],
        "selfies": [
            {"file": s.file, "faces_found": s.faces_found, **({"message": s.message} if s.message else {})}
            for s in result.selfies
        ],
    }


def print_table(result: SearchResult) -> None:
    for s in result.selfies:
        if s.message:
            out.print(f"[yellow]{s.file}[/]: {s.message}", highlight=False)
    if not result.matches:
        out.print("No photos found for this person.")
        return
    table = Table("photo", "path", "distance")
    for m in result.matches:
        table.add_row(str(m.photo_id), m.source_file_id, f"{m.distance:.3f}")
    out.print(table)
    out.print(f"{len(result.matches)} photos found.")
