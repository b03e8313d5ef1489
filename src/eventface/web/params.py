"""Typed path parameters. A database id is a positive 64-bit integer: anything else in its place
(`/api/event/nope`, `/api/event/99999999999999999999`) names nothing, so the app answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ID = 2**63 - 1

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 64-bit id")]
