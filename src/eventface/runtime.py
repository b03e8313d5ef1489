"""The composition root: the one place that chooses implementations, from an explicit Settings."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from eventface.db import migrate
from eventface.db.session import make_engine, make_session_factory
from eventface.db.unit_of_work import Transactions, transactions
from eventface.domain.models import Event, SourceKind
from eventface.faces.engine import FaceEngine, LockedFaceEngine
from eventface.faces.pool import InlineAnalyzer, ProcessPoolAnalyzer
from eventface.faces.recipe import EngineRecipe
from eventface.faces.search_pool import EnginePool, ProcessEnginePool
from eventface.mail.smtp import SmtpMailer
from eventface.matching.index import VectorIndex
from eventface.matching.numpy_index import NumpyVectorIndex
from eventface.matching.saved_faces import SavedFaces
from eventface.secret_box import SecretBox
from eventface.secret_key import encryption_key
from eventface.services.google_accounts import GoogleConnections
from eventface.services.ingest import Analyzer, EngineInfo, Lease
from eventface.services.passwords import Passwords
from eventface.services.search import SearchLimits
from eventface.services.thumbnails import ThumbnailStore
from eventface.settings import EngineName, Settings
from eventface.sources.base import PhotoSource
from eventface.sources.drive import DriveClient, DriveFolderSource
from eventface.sources.local_folder import LocalFolderSource

THUMBNAIL_PX = 480  # three columns on a phone at 3x pixel density
PREVIEW_PX = 1600
# the guest's "Save": a phone-friendly copy, made on the first request (issue 14), not at indexing
WEB_COPY_PX = 2048
WEB_COPY_QUALITY = 85


def build_face_engine(settings: Settings, name: str) -> FaceEngine:
    return engine_recipe(settings, name)()


def engine_recipe(settings: Settings, name: str) -> EngineRecipe:
    """The engine `name` as the settings configure it; picklable and light (faces/recipe.py)."""
    if name not in set(EngineName):
        raise ValueError(f"unknown face engine {name!r}; choose one of {', '.join(EngineName)}")
    return EngineRecipe(
        name=str(EngineName(name).value),
        detect_max_side_px=settings.detect_max_side_px,
        min_score=settings.min_detection_score,
        dlib_upsample=settings.dlib_upsample,
        dlib_detector=settings.dlib_detector.value,
    )


@dataclass
class Runtime:
    """Everything one process shares: one database pool, one vector index (the worker's updates
    are what the web's searches read), one engine per name, one pool of search engines."""

    settings: Settings
    db: Engine
    transactions: Transactions
    index: VectorIndex
    thumbnails: ThumbnailStore  # grid-sized, cached on disk
    previews: ThumbnailStore  # screen-sized, for the lightbox: originals are too heavy for phones
    web_copies: ThumbnailStore  # what a guest saves to the phone: <= 2048 px, made on request
    google: GoogleConnections  # Drive clients for connected Google accounts
    passwords: Passwords  # argon2 hashing, a few at a time
    # guests' selfies are embedded here, on every core, never in this process (faces/search_pool.py)
    search_engines: EnginePool
    mailer: SmtpMailer | None  # None: no SMTP_URL, so nothing offers mail
    # in-process engines (indexing with one worker, the CLI): each owns the lock on its models
    _engines: dict[str, FaceEngine] = field(default_factory=dict)
    _building: threading.Lock = field(default_factory=threading.Lock)
    # set by close(): indexing runs on this runtime stop, killing their workers (issue 13)
    stopping: threading.Event = field(default_factory=threading.Event)

    def face_engine(self, name: str) -> FaceEngine:
        """The engine called `name`, built once; its models load on its first photo, so a process
        that only ranks with its metric (the web's searches) never loads them."""
        with self._building:
            engine = self._engines.get(name) or build_face_engine(self.settings, name)
            if not isinstance(engine, LockedFaceEngine):  # tests may put bare engines in the cache
                engine = self._engines[name] = LockedFaceEngine(engine)
            return engine

    def engine_info(self, name: str) -> EngineInfo:
        engine = self.face_engine(name)
        return EngineInfo(engine.name, engine.model)

    def tolerance(self, engine: FaceEngine) -> float:
        return self.settings.face_tolerance or engine.default_tolerance

    def search_limits(self, engine: FaceEngine) -> SearchLimits:
        return SearchLimits(
            tolerance=self.tolerance(engine),
            max_pixels=min(self.settings.max_selfie_pixels, self.settings.max_image_pixels),
            min_face_px=self.settings.min_face_px,
            min_sharpness=self.settings.min_face_sharpness,
            people=self.settings.people_matching,
        )

    def analyzer(self, name: str, *, processes: bool = False) -> Analyzer:
        """`name`'s analyzer: in worker processes, or with EVENTFACE_WORKERS=1 in this one unless
        `processes` asks for one process even then (`eventface worker`, whose own process holds the
        queue and database libraries: ~180 MB more beside the models, issue 15's 450 MB budget)."""
        # made while the photo is decoded anyway, not on the first guest's request (issue 12)
        renditions = (self.thumbnails.max_side_px, self.previews.max_side_px)
        # EVENTFACE_WORKERS=1 asks for no extra process; otherwise even one core gets a worker
        # process, niced so that guests' searches go first (benchmarks/README.md, issue 12)
        if self.settings.workers == 1 and not processes:
            return InlineAnalyzer(
                self.face_engine(name),
                self.settings.max_image_pixels,
                stopping=self.stopping,
                rendition_px=renditions,
            )
        factory = engine_recipe(self.settings, name)  # a worker imports faces/ only, not this module
        return ProcessPoolAnalyzer(
            factory,
            self.settings.worker_count,
            self.settings.max_image_pixels,
            stopping=self.stopping,
            rendition_px=renditions,
        )

    @contextmanager
    def source(self, event: Event, client: DriveClient | None = None) -> Iterator[PhotoSource]:
        """The event's photo source, open for the block (a Drive source holds HTTP connections);
        on `client`, a Drive event's account's client that a sync pass over the account holds."""
        if event.source_kind is SourceKind.LOCAL_FOLDER:
            yield LocalFolderSource(Path(event.source_uri))
        elif event.source_kind is SourceKind.GOOGLE_DRIVE and client is not None:
            yield DriveFolderSource(client, event.source_uri)
        elif event.source_kind is SourceKind.GOOGLE_DRIVE:
            with self.google.folder(event) as folder:
                yield folder
        else:
            raise ValueError(f"unsupported photo source {event.source_kind}")

    @property
    def lease(self) -> Lease:
        """Indexing claims photos for this long, and stops waiting for other workers on close."""
        return Lease(self.settings.index_lease_s, stopping=self.stopping)

    @property
    def caches(self) -> tuple[ThumbnailStore, ...]:
        """Every cache of an event's photos (deleted with it); indexing fills the first two."""
        return (self.thumbnails, self.previews, self.web_copies)

    def close(self) -> None:
        self.stopping.set()
        self.search_engines.close()
        self.db.dispose()


def build_runtime(settings: Settings, *, upgrade_db: bool = True) -> Runtime:
    """Everything eventface needs, built from `settings`. Migrates the database unless told not to."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not settings.photo_roots:  # the default photo root, so the new-event form has a place to point at
        settings.photo_root_dirs[0].mkdir(exist_ok=True)
    db = make_engine(settings.db_url)
    if upgrade_db and not migrate.is_current(db):
        migrate.upgrade(db)
    # per machine by default; EVENTFACE_CACHE_DIR may point every machine at one shared path
    cache = settings.cache_dir or settings.data_dir / "thumbnails"
    units = transactions(make_session_factory(db))
    return Runtime(
        settings,
        db,
        units,
        NumpyVectorIndex(
            memory_budget_bytes=int(settings.index_memory_mb * 2**20),
            saved=SavedFaces(settings.data_dir / "indexes"),  # big events' indexes, face data
        ),
        thumbnails=ThumbnailStore(cache / str(THUMBNAIL_PX), THUMBNAIL_PX, settings.max_image_pixels),
        previews=ThumbnailStore(cache / str(PREVIEW_PX), PREVIEW_PX, settings.max_image_pixels),
        web_copies=ThumbnailStore(
            cache / str(WEB_COPY_PX), WEB_COPY_PX, settings.max_image_pixels, quality=WEB_COPY_QUALITY
        ),
        google=GoogleConnections(
            units, SecretBox(encryption_key(settings, _has_grants(units))), settings.drive_api_url
        ),
        passwords=Passwords(settings.password_hash_cost),
        search_engines=ProcessEnginePool(
            functools.partial(build_face_engine, settings), settings.search_worker_count
        ),
        mailer=SmtpMailer(settings.smtp_url.get_secret_value(), settings.mail_sender)
        if settings.smtp_url
        else None,
    )


def _has_grants(units: Transactions) -> Callable[[], bool]:
    def has_grants() -> bool:
        with units() as uow:
            return uow.google_accounts.any_stored()

    return has_grants
