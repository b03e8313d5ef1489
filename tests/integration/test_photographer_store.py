"""What the photographer's side of issue 14 keeps, through the services on a real database
(SQLite here; tests/database/test_pg_photographer.py runs these on PostgreSQL): hidden photos
left out of everything guests are served, the cover, brands and removal requests, and what goes
when an event or an account goes."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import text

from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import EventVisibility, SourceKind
from eventface.errors import InvalidInputError, NotFoundError
from eventface.runtime import Runtime
from eventface.services import accounts, branding, guest_access, photo_removal

NAMES = ["b.jpg", "a.jpg", "album/c.jpg"]


def setup(uow: UnitOfWork) -> tuple[int, int, dict[str, int]]:
    """A photographer and a gallery event with three indexed photos; (owner, event, ids by name)."""
    owner = accounts.create_user(uow, "nok@example.com", "correct horse battery").id
    event = uow.events.add("Gala", SourceKind.LOCAL_FOLDER, "/photos/gala", "fake", owner)
    uow.events.set_visibility(event.id, EventVisibility.GALLERY)
    for name in NAMES:
        uow.photos.add_pending(event.id, name, name, "v1", 10)
    uow.session.flush()
    ids = {p.name: p.id for p in uow.photos.pending(event.id)}
    for photo_id in ids.values():
        uow.photos.save_faces(photo_id, [], engine="fake", model="m", content_hash="h", width=10, height=10)
    return owner, event.id, ids


def test_a_hidden_photo_is_left_out_of_everything_guests_are_served(runtime: Runtime) -> None:
    with runtime.transactions() as uow:
        owner, event_id, ids = setup(uow)
        photo_removal.set_hidden(uow, owner, event_id, ids["a.jpg"], hidden=True)
    with runtime.transactions() as uow:
        event = uow.events.get(event_id)
        assert [p.name for p in uow.photos.indexed_by_ids(event_id, list(ids.values()))] == [
            "b.jpg",
            "album/c.jpg",
        ]
        assert sorted(uow.photos.indexed_names(event_id)) == ["album/c.jpg", "b.jpg"]
        assert [p.name for p in uow.photos.indexed_page(event_id, None, limit=10, offset=0)] == [
            "album/c.jpg",
            "b.jpg",
        ]
        cover = guest_access.cover(uow, event)
        assert cover is not None and cover.name == "album/c.jpg"  # the first in name order that is shown
        assert uow.photos.in_event_by_id(event_id, ids["a.jpg"]).hidden  # the photographer still has it
        with pytest.raises(InvalidInputError):
            guest_access.choose_cover(uow, owner, event_id, ids["a.jpg"])
        with pytest.raises(NotFoundError):
            photo_removal.set_hidden(uow, owner + 1, event_id, ids["b.jpg"], hidden=True)  # not theirs


def test_removal_requests_wait_until_answered_and_go_with_the_event(runtime: Runtime) -> None:
    with runtime.transactions() as uow:
        owner, event_id, ids = setup(uow)
        event = uow.events.get(event_id)
        assert photo_removal.request_removal(uow, event, ids["b.jpg"], "  please\x00 remove  ")
        assert photo_removal.request_removal(uow, event, ids["b.jpg"], None)
        assert photo_removal.request_removal(uow, event, ids["a.jpg"], "")
        with pytest.raises(InvalidInputError):
            photo_removal.request_removal(uow, event, ids["a.jpg"], "x" * 501)
    with runtime.transactions() as uow:
        waiting = photo_removal.open_requests(uow, event_id)
        assert [(r.photo_name, r.reason) for r in waiting] == [
            ("b.jpg", "please remove"),
            ("b.jpg", None),
            ("a.jpg", None),
        ]
        photo_removal.answer_request(
            uow, owner, event_id, waiting[0].id, hide=True
        )  # answers both of b.jpg's
        photo_removal.answer_request(uow, owner, event_id, waiting[2].id, hide=False)
    with runtime.transactions() as uow:
        assert photo_removal.open_requests(uow, event_id) == []
        assert uow.photos.in_event_by_id(event_id, ids["b.jpg"]).hidden
        assert not uow.photos.in_event_by_id(event_id, ids["a.jpg"]).hidden
        photo_removal.request_removal(uow, uow.events.get(event_id), ids["a.jpg"], "again")
        uow.events.delete(event_id)
    with runtime.transactions() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM removal_requests")).scalar() == 0


def test_too_many_waiting_requests_for_one_photo_are_not_stored(runtime: Runtime) -> None:
    with runtime.transactions() as uow:
        _, event_id, ids = setup(uow)
        event = uow.events.get(event_id)
        stored = [
            photo_removal.request_removal(uow, event, ids["b.jpg"], None)
            for _ in range(photo_removal.MAX_OPEN_PER_PHOTO + 2)
        ]
    assert stored == [True] * photo_removal.MAX_OPEN_PER_PHOTO + [False, False]


def test_a_brand_is_kept_per_photographer_and_goes_with_the_account(runtime: Runtime) -> None:
    with runtime.transactions() as uow:
        owner, event_id, _ = setup(uow)
        assert branding.brand_for_event(uow, uow.events.get(event_id)) is None  # nothing to show yet
        branding.save_brand(uow, owner, "Studio\tNok", "@nok", "", "http://nok.example.com")
        version = branding.save_logo(uow, owner, branding.logo_png(_gif()))
    with runtime.transactions() as uow:
        brand = branding.brand_for_event(uow, uow.events.get(event_id))
        assert brand is not None
        assert (brand.name, brand.line_url, brand.instagram_url, brand.website_url, brand.logo_version) == (
            "Studio Nok",
            "https://line.me/R/ti/p/@nok",
            None,
            "http://nok.example.com",
            version,
        )
        logo = uow.brands.logo(owner)
        assert logo is not None and logo[0].startswith(b"\x89PNG")
        uow.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": owner})
    with runtime.transactions() as uow:
        assert uow.brands.get(owner) is None


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (30, 20)).save(out, format="GIF")
    return out.getvalue()
