"""What a selfie's face needs to be searched with (issue 11): faces/quality.py SelfieCheck."""

from __future__ import annotations

from eventface.faces.quality import SelfieCheck
from eventface.services import search


def test_a_face_below_the_size_is_too_small_whatever_its_sharpness() -> None:
    check = SelfieCheck(min_face_px=48, min_sharpness=30)

    assert check.fault(47.9, 1000.0) == "face_too_small"
    assert check.fault(47.9, 1.0) == "face_too_small"


def test_a_big_enough_face_below_the_sharpness_is_blurry() -> None:
    check = SelfieCheck(min_face_px=48, min_sharpness=30)

    assert check.fault(48, 29.9) == "face_blurry"
    assert check.fault(48, 30) is None
    assert check.fault(400, 900) is None


def test_sharpness_is_not_checked_where_the_engine_does_not_measure_it() -> None:
    # the dlib engine's faces all have sharpness 0: only their size is checked
    assert search.SELFIE_CHECKS["dlib"].fault(200, 0.0) is None
    assert search.SELFIE_CHECKS["dlib"].fault(search.MIN_SELFIE_FACE_PX - 1, 0.0) == "face_too_small"


def test_every_fault_has_a_message_that_says_what_to_change() -> None:
    for fault in ("face_too_small", "face_blurry"):
        report = search.SelfieReport("selfie.jpg", 1, fault=fault)
        assert report.code == fault
        assert report.usable  # searched, strictly (services/search.py POOR_SELFIE_SCALE)
        assert report.public() == {"faces_found": 1, "code": fault, "message": search.SELFIE_FAULTS[fault]}
    assert "closer" in search.SELFIE_FAULTS["face_too_small"]
    assert "light" in search.SELFIE_FAULTS["face_blurry"]


def test_every_fault_message_has_a_thai_translation() -> None:
    from eventface.web.i18n import THAI  # noqa: PLC0415 - the web layer, for this check only

    for message in search.SELFIE_FAULTS.values():
        assert THAI.get(message, "").strip(), f"no Thai for {message!r} (web/i18n.py)"
