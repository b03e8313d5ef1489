"""The Drive folder source as a change feed, against the fake Drive over HTTP with the real client."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from eventface.errors import CursorExpiredError, SourceUnavailableError
from eventface.sources.base import ChangeFeed, SourceUpdate
from eventface.sources.drive import PAGE_SIZE, DriveFolderSource
from tests.fakes.drive import FakeDrive, ListPage
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import drive_client

CHANGES_PATH = "/drive/v3/changes"
FILES_PATH = "/drive/v3/files"


def source_for(drive: FakeDrive, folder_id: str) -> DriveFolderSource:
    return DriveFolderSource(drive_client(drive), folder_id)


def photo(colour: str) -> bytes:
    return jpeg_with_squares([(colour, (10, 10), 40)])


def names(update: SourceUpdate) -> set[str]:
    return {p.name for p in update.photos}


def requests_to(drive: FakeDrive, path: str) -> int:
    return sum(1 for r in drive.requests if r.path == path)


def listed_folders(drive: FakeDrive) -> list[str]:
    """The folders whose children were listed, from the `'<id>' in parents` queries received."""
    return [r.query["q"].split("'")[1] for r in drive.requests if r.path == FILES_PATH and "q" in r.query]


class Tree:
    """Wedding/{a.jpg, Ceremony/{b.jpg, Party/c.jpg}, Dinner/}, plus Elsewhere/ outside the event."""

    def __init__(self, drive: FakeDrive) -> None:
        self.event = drive.add_folder("Wedding")
        self.ceremony = drive.add_folder("Ceremony", parent=self.event)
        self.party = drive.add_folder("Party", parent=self.ceremony)
        self.dinner = drive.add_folder("Dinner", parent=self.event)
        self.elsewhere = drive.add_folder("Elsewhere")
        self.a = drive.add_photo(self.event, "a.jpg", photo("red"))
        self.b = drive.add_photo(self.ceremony, "b.jpg", photo("green"))
        self.c = drive.add_photo(self.party, "c.png", photo("blue"), mime="image/png")

    NAMES = frozenset({"a.jpg", "Ceremony/b.jpg", "Ceremony/Party/c.png"})


@pytest.fixture
def tree(drive: FakeDrive) -> Tree:
    return Tree(drive)


def test_the_drive_folder_source_is_a_change_feed(drive: FakeDrive, tree: Tree) -> None:
    assert isinstance(source_for(drive, tree.event), ChangeFeed)


def test_a_snapshot_is_the_whole_nested_tree_and_remembers_its_folders(drive: FakeDrive, tree: Tree) -> None:
    drive.add_photo(tree.party, "d.heic", b"heic bytes", mime="image/heic")
    drive.add_file(tree.event, "notes.txt", b"not a photo", "text/plain")
    drive.trash(drive.add_photo(tree.event, "old.jpg", photo("red")))
    drive.add_photo(tree.elsewhere, "outside.jpg", photo("red"))

    update = source_for(drive, tree.event).snapshot()

    assert update.complete is True
    assert names(update) == {*Tree.NAMES, "Ceremony/Party/d.heic"}
    a = next(p for p in update.photos if p.name == "a.jpg")
    assert (a.file_id, a.version, a.size_bytes) == (tree.a, drive.md5(tree.a), len(photo("red")))
    cursor = json.loads(update.cursor)
    assert cursor["folders"] == {
        tree.event: [None, ""],
        tree.ceremony: [tree.event, "Ceremony/"],
        tree.party: [tree.ceremony, "Ceremony/Party/"],
        tree.dinner: [tree.event, "Dinner/"],
    }


def test_list_photos_still_walks_the_tree(drive: FakeDrive, tree: Tree) -> None:
    assert {p.name for p in source_for(drive, tree.event).list_photos()} == Tree.NAMES


def test_a_photo_uploaded_during_the_first_listing_comes_in_the_next_changes(
    drive: FakeDrive, tree: Tree
) -> None:
    uploaded: list[str] = []

    def upload_once(page: ListPage) -> None:
        # the event folder's page is computed: a photo added to it now is not in this listing
        if not uploaded and page.q is not None and tree.event in page.q:
            uploaded.append(drive.add_photo(tree.event, "late.jpg", photo("red")))

    drive.on_list_page(upload_once)
    source = source_for(drive, tree.event)
    snapshot = source.snapshot()
    drive.on_list_page(None)

    assert uploaded
    assert names(snapshot) == Tree.NAMES
    update = source.changes(snapshot.cursor)
    assert [(p.file_id, p.name) for p in update.photos] == [(uploaded[0], "late.jpg")]
    assert update.complete is False


def test_a_new_photo_in_a_subfolder_comes_with_its_path(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    new = drive.add_photo(tree.party, "new.jpg", photo("yellow"))

    update = source.changes(cursor)

    assert [(p.file_id, p.name, p.version) for p in update.photos] == [
        (new, "Ceremony/Party/new.jpg", drive.md5(new))
    ]
    assert (update.removed, update.complete) == ([], False)


def test_new_content_comes_as_the_photo_with_a_new_version(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    snapshot = source.snapshot()
    before = next(p.version for p in snapshot.photos if p.file_id == tree.b)
    drive.update_content(tree.b, photo("magenta"))

    update = source.changes(snapshot.cursor)

    assert [(p.file_id, p.name) for p in update.photos] == [(tree.b, "Ceremony/b.jpg")]
    assert update.photos[0].version == drive.md5(tree.b) != before


def test_trashed_deleted_and_moved_out_photos_are_removed(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    drive.trash(tree.a)
    drive.delete(tree.b)
    drive.move(tree.c, tree.elsewhere)

    update = source.changes(cursor)

    assert sorted(update.removed) == sorted([tree.a, tree.b, tree.c])
    assert (list(update.photos), update.complete) == ([], False)


def test_a_photo_moved_in_from_outside_is_added(drive: FakeDrive, tree: Tree) -> None:
    outside = drive.add_photo(tree.elsewhere, "x.jpg", photo("cyan"))
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    drive.move(outside, tree.ceremony)

    update = source.changes(cursor)

    assert [(p.file_id, p.name) for p in update.photos] == [(outside, "Ceremony/x.jpg")]
    assert update.complete is False


def test_new_folders_are_listed_alone_without_a_full_rescan(drive: FakeDrive, tree: Tree) -> None:
    # moved-in folders' files get no change of their own: only listing the folder finds them
    moved = drive.add_folder("Moved", parent=tree.elsewhere)
    drive.add_photo(moved, "m.jpg", photo("red"))
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    speeches = drive.add_folder("Speeches", parent=tree.dinner)
    toasts = drive.add_folder("Toasts", parent=speeches)
    drive.add_photo(speeches, "s.jpg", photo("green"))
    drive.add_photo(toasts, "t.jpg", photo("blue"))
    drive.move(moved, tree.event)
    drive.clear_requests()

    update = source.changes(cursor)

    assert update.complete is False
    assert names(update) == {"Dinner/Speeches/s.jpg", "Dinner/Speeches/Toasts/t.jpg", "Moved/m.jpg"}
    assert sorted(listed_folders(drive)) == sorted([speeches, toasts, moved])
    # the new cursor knows the new folders: a later photo in one comes with its path
    late = drive.add_photo(toasts, "late.jpg", photo("red"))
    later = source.changes(update.cursor)
    assert [(p.file_id, p.name) for p in later.photos] == [(late, "Dinner/Speeches/Toasts/late.jpg")]


def test_an_untrashed_folder_comes_back_without_a_full_rescan(drive: FakeDrive, tree: Tree) -> None:
    drive.trash(tree.party)
    source = source_for(drive, tree.event)
    snapshot = source.snapshot()
    assert names(snapshot) == {"a.jpg", "Ceremony/b.jpg"}
    drive.untrash(tree.party)

    update = source.changes(snapshot.cursor)

    assert (names(update), update.complete) == ({"Ceremony/Party/c.png"}, False)


@pytest.mark.parametrize(
    ("reshape", "expected"),
    [
        ("move out", {"a.jpg"}),
        ("trash", {"a.jpg"}),
        ("delete", {"a.jpg"}),
        ("rename", {"a.jpg", "Vows/b.jpg", "Vows/Party/c.png"}),
        ("move within", {"a.jpg", "Dinner/Ceremony/b.jpg", "Dinner/Ceremony/Party/c.png"}),
        ("rename nested", {"a.jpg", "Ceremony/b.jpg", "Ceremony/Dance/c.png"}),
    ],
)
def test_a_known_folder_changing_shape_answers_a_complete_snapshot(
    drive: FakeDrive, tree: Tree, reshape: str, expected: set[str]
) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    match reshape:
        case "move out":
            drive.move(tree.ceremony, tree.elsewhere)
        case "trash":
            drive.trash(tree.ceremony)
        case "delete":
            drive.delete(tree.ceremony)
        case "rename":
            drive.rename(tree.ceremony, "Vows")
        case "move within":
            drive.move(tree.ceremony, tree.dinner)
        case "rename nested":
            drive.rename(tree.party, "Dance")

    update = source.changes(cursor)

    assert (names(update), update.complete) == (expected, True)
    new = drive.add_photo(tree.event, "after.jpg", photo("red"))
    after = source.changes(update.cursor)
    assert ([p.file_id for p in after.photos], after.complete) == ([new], False)


def test_a_known_folder_touched_in_place_is_not_a_rescan(drive: FakeDrive, tree: Tree) -> None:
    # Drive reports a folder whose modifiedTime changed; same name and parent change no path
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    drive.rename(tree.ceremony, "Ceremony")
    drive.move(tree.party, tree.ceremony)
    drive.rename(tree.event, "Wedding 2024")  # the root's own name is in no path
    drive.clear_requests()

    update = source.changes(cursor)

    assert (list(update.photos), list(update.removed), update.complete) == ([], [], False)
    assert listed_folders(drive) == []


def test_changes_outside_the_tree_and_to_non_images_are_ignored(drive: FakeDrive, tree: Tree) -> None:
    notes = drive.add_file(tree.event, "notes.txt", b"v1", "text/plain")
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    outside = drive.add_photo(tree.elsewhere, "outside.jpg", photo("red"))
    drive.add_folder("Sub", parent=tree.elsewhere)
    top = drive.add_photo(drive.add_folder("Top"), "top.jpg", photo("red"))
    drive.add_file(tree.ceremony, "clip.mp4", b"video", "video/mp4")
    drive.update_content(notes, b"v2")
    drive.trash(notes)
    drive.clear_requests()

    update = source.changes(cursor)

    assert (list(update.photos), update.complete) == ([], False)
    assert listed_folders(drive) == []
    # a change does not say where an image was before, so one outside the tree may have just left
    # it: it is reported removed, and ids eventface never knew are ignored by the caller
    assert sorted(update.removed) == sorted([outside, top])


def test_within_one_batch_the_last_change_of_a_file_wins(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    added_then_trashed = drive.add_photo(tree.event, "oops.jpg", photo("red"))
    drive.trash(added_then_trashed)
    drive.trash(tree.a)
    drive.untrash(tree.a)
    drive.update_content(tree.b, photo("yellow"))
    drive.update_content(tree.b, photo("cyan"))

    update = source.changes(cursor)

    assert list(update.removed) == [added_then_trashed]
    assert {(p.file_id, p.version) for p in update.photos} == {
        (tree.a, drive.md5(tree.a)),
        (tree.b, drive.md5(tree.b)),
    }


def test_changes_are_paged_until_the_new_start_page_token(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    for n in range(PAGE_SIZE + 10):
        drive.rename(tree.a, f"a{n}.jpg")
    last = drive.add_photo(tree.dinner, "last.jpg", photo("red"))
    drive.clear_requests()

    update = source.changes(cursor)

    assert requests_to(drive, CHANGES_PATH) == 2
    assert {(p.file_id, p.name) for p in update.photos} == {
        (tree.a, f"a{PAGE_SIZE + 9}.jpg"),
        (last, "Dinner/last.jpg"),
    }
    assert list(source.changes(update.cursor).photos) == []


def test_rate_limits_and_server_errors_on_changes_are_retried(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    new = drive.add_photo(tree.ceremony, "new.jpg", photo("red"))
    drive.trash(tree.a)
    drive.fail_next(429)
    drive.fail_next(500)
    drive.clear_requests()

    update = source.changes(cursor)

    assert requests_to(drive, CHANGES_PATH) == 3
    assert ([p.file_id for p in update.photos], list(update.removed)) == ([new], [tree.a])


def test_a_page_token_drive_refuses_is_cursor_expired(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    drive.expire_page_token()

    with pytest.raises(CursorExpiredError):
        source.changes(cursor)
    fresh = source.snapshot()
    assert names(fresh) == Tree.NAMES
    assert list(source.changes(fresh.cursor).photos) == []


def _reshaped(cursor: str, **fields: object) -> str:
    data = json.loads(cursor)
    data.update(fields)
    return json.dumps(data)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda _c: "garbage",
        lambda _c: "",
        lambda _c: "[]",
        lambda _c: "{}",
        lambda c: _reshaped(c, v=2),
        lambda c: _reshaped(c, token=""),
        lambda c: _reshaped(c, token=7),
        lambda c: _reshaped(c, folders={}),
        lambda c: _reshaped(c, folders={json.loads(c)["root"]: "x/"}),
    ],
    ids=["text", "empty", "list", "no fields", "version", "no token", "int token", "no root", "bad folder"],
)
def test_a_cursor_of_an_unknown_shape_is_cursor_expired(
    drive: FakeDrive, tree: Tree, mangle: Callable[[str], str]
) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    with pytest.raises(CursorExpiredError):
        source.changes(mangle(cursor))


def test_a_cursor_of_another_folder_is_cursor_expired(drive: FakeDrive, tree: Tree) -> None:
    other = drive.add_folder("Birthday")
    cursor = source_for(drive, other).snapshot().cursor
    with pytest.raises(CursorExpiredError):
        source_for(drive, tree.event).changes(cursor)


def test_a_quiet_cursor_answers_nothing_and_stays_usable(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor

    quiet = source.changes(cursor)

    assert (list(quiet.photos), list(quiet.removed), quiet.complete) == ([], [], False)
    new = drive.add_photo(tree.party, "new.jpg", photo("red"))
    assert [p.file_id for p in source.changes(quiet.cursor).photos] == [new]
    # a cursor is not used up: asking again from it (a crashed sync) answers the same
    assert [p.file_id for p in source.changes(quiet.cursor).photos] == [new]


def test_a_deleted_event_folder_makes_the_source_unavailable(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    cursor = source.snapshot().cursor
    drive.delete(tree.event)

    with pytest.raises(SourceUnavailableError):
        source.changes(cursor)


def test_the_requests_ask_for_minimal_fields(drive: FakeDrive, tree: Tree) -> None:
    source = source_for(drive, tree.event)
    drive.clear_requests()
    source.changes(source.snapshot().cursor)

    token_request = next(r for r in drive.requests if r.path == f"{CHANGES_PATH}/startPageToken")
    changes_request = next(r for r in drive.requests if r.path == CHANGES_PATH)
    assert token_request.query["fields"] == "startPageToken"
    assert changes_request.query["includeRemoved"] == "true"
    assert changes_request.query["fields"].startswith("nextPageToken, newStartPageToken, changes(")
