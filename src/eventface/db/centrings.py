"""Each event's fitted centring (issue 11): the one metric every process compares its faces with.

Two processes may fit an event at once (two web processes, a search worker): the first fit is
inserted only if there is none, a refit replaces version v only while v is stored
(compare-and-set), and either way the caller goes on with what the table holds afterwards, so
every process ends up on the same stored row. The row goes with its event (ON DELETE CASCADE).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventface.db.tables import EventCentringRow, utcnow
from eventface.domain.distance import CentredFusedMetric, EventCentring, FusedMetric


class CentringRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, event_id: int, engine: str, base: FusedMetric) -> EventCentring | None:
        """The event's stored centring of `base` (the engine's metric), or None."""
        row = self.session.get(EventCentringRow, (event_id, engine), populate_existing=True)
        return None if row is None else _centring(row, base)

    def put(self, event_id: int, engine: str, centring: EventCentring) -> EventCentring | None:
        """Stores a first fit (version 0) if the event has none, or a refit (version v + 1) if
        version v is still stored; returns what is stored now (None: the event is gone)."""
        metric = centring.metric
        values = {
            "model": centring.model,
            "faces": centring.faces,
            "version": centring.version,
            "cosine_mean": _bytes(metric.cosine_mean),
            "euclidean_mean": _bytes(metric.euclidean_mean),
            "cosine_ratio": metric.cosine_ratio,
            "euclidean_ratio": metric.euclidean_ratio,
            "fitted_at": utcnow(),
        }
        if centring.version == 0:
            try:
                with self.session.begin_nested():  # a savepoint: losing the race keeps the transaction
                    self.session.add(EventCentringRow(event_id=event_id, engine=engine, **values))
            except IntegrityError:  # another process stored its fit first (or the event is gone)
                pass
        else:
            self.session.execute(
                update(EventCentringRow)
                .where(
                    EventCentringRow.event_id == event_id,
                    EventCentringRow.engine == engine,
                    EventCentringRow.version == centring.version - 1,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return self.get(event_id, engine, metric.base)


def _bytes(values: tuple[float, ...]) -> bytes:
    return np.asarray(values, "<f8").tobytes()


def _floats(data: bytes) -> tuple[float, ...]:
    return tuple(float(v) for v in np.frombuffer(data, "<f8"))


def _centring(row: EventCentringRow, base: FusedMetric) -> EventCentring:
    metric = CentredFusedMetric(
        base,
        _floats(row.cosine_mean),
        _floats(row.euclidean_mean),
        float(row.cosine_ratio),
        float(row.euclidean_ratio),
    )
    return EventCentring(metric, row.faces, row.model, row.version)
