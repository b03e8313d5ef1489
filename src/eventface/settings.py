"""Settings, read from the environment (and a `.env` file) once, by the shell that starts eventface.

Every field is documented in README.md (a test checks it). The original system's environment
names (`AUTO_SYNC_INTERVAL`, `FACE_TOLERANCE`, `DATABASE_URL`) are accepted as they were.
"""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_PHOTO_ROOT = "photos"  # in the data dir, when EVENTFACE_PHOTO_ROOTS is unset


class EngineName(StrEnum):
    """Which face engine indexes and searches (see faces/ and benchmarks/README.md)."""

    SFACE = "sface"  # OpenCV YuNet detector + SFace embedder, cosine
    DLIB = "dlib"  # dlib HOG (or CNN) detector + ResNet embedder, Euclidean
    FUSION = "fusion"  # YuNet detector, both embedders, fused distance


class DlibDetector(StrEnum):
    HOG = "hog"
    CNN = "cnn"


class SignupPolicy(StrEnum):
    """Who may create an account on the web (the CLI always may)."""

    CLOSED = "closed"  # only the first account (an admin), while none exists
    INVITE = "invite"  # the first account, then whoever an admin invites
    OPEN = "open"  # anyone


class PasswordHashCost(StrEnum):
    PRODUCTION = "production"  # argon2id's recommended parameters (64 MiB, 3 passes)
    TEST = "test"  # trivially cheap: for test suites only, never for real passwords


MIN_KEY_BYTES = 32


def _env(name: str, *, original: bool = False) -> AliasChoices:
    """EVENTFACE_<name>; the bare name too when the original system or Google's habit names it so."""
    return AliasChoices(f"EVENTFACE_{name}", name) if original else AliasChoices(f"EVENTFACE_{name}")


class Settings(BaseSettings):
    # no populate_by_name: it would make pydantic-settings read every bare field name from the
    # environment too (a WORKERS meant for another program); __init__ maps field names instead
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Annotated[Path, Field(validation_alias=_env("DATA_DIR"))] = Path("./data")
    database_url: Annotated[str | None, Field(validation_alias=_env("DATABASE_URL", original=True))] = None

    face_engine: Annotated[EngineName, Field(validation_alias=_env("FACE_ENGINE"))] = EngineName.FUSION
    # Distance above which two faces are different people. None: the engine's calibrated default.
    face_tolerance: Annotated[
        float | None, Field(validation_alias=_env("FACE_TOLERANCE", original=True), gt=0)
    ] = None
    # Long edge, in pixels, the photo is decoded to before face detection.
    detect_max_side_px: Annotated[int, Field(validation_alias=_env("DETECT_MAX_SIDE_PX"), ge=320)] = 2000
    # Faces smaller than this (box height in the full-resolution photo) are stored but not matched.
    min_face_px: Annotated[int, Field(validation_alias=_env("MIN_FACE_PX"), ge=0)] = 0
    # Faces blurrier than this (variance of the Laplacian of the aligned chip) are stored but not matched.
    min_face_sharpness: Annotated[float, Field(validation_alias=_env("MIN_FACE_SHARPNESS"), ge=0)] = 0.0
    # Match a guest to the event's people (matching/people.py: the guest joins the event's people
    # groups by average linkage) instead of by distance alone: fewer strangers' photos in a crowd,
    # more recall (benchmarks/README.md, "People matching in the product"). Fusion engine only;
    # events of more than 6 000 faces keep the distance rule (matching/expansion.py).
    people_matching: Annotated[bool, Field(validation_alias=_env("PEOPLE_MATCHING"))] = True
    # Detections scoring below this are dropped (YuNet score, or dlib HOG's adjusted margin).
    min_detection_score: Annotated[float, Field(validation_alias=_env("MIN_DETECTION_SCORE"))] = 0.6
    dlib_detector: Annotated[DlibDetector, Field(validation_alias=_env("DLIB_DETECTOR"))] = DlibDetector.HOG
    dlib_upsample: Annotated[int, Field(validation_alias=_env("DLIB_UPSAMPLE"), ge=0, le=3)] = 1
    # Photos larger than this many pixels are refused (decompression bombs).
    max_image_pixels: Annotated[int, Field(validation_alias=_env("MAX_IMAGE_PIXELS"), gt=0)] = 120_000_000
    # Memory the in-memory vector index of each web process may hold, in megabytes; over it, the
    # events searched least recently leave it (the next search loads one again). 0: no limit.
    index_memory_mb: Annotated[float, Field(validation_alias=_env("INDEX_MEMORY_MB"), ge=0)] = 1024.0
    # Indexing processes; 0 means one per CPU core.
    workers: Annotated[int, Field(validation_alias=_env("WORKERS"), ge=0)] = 0
    # Minutes between automatic syncs of an event's source (the original system's name).
    auto_sync_interval: Annotated[
        float, Field(validation_alias=_env("AUTO_SYNC_INTERVAL", original=True), ge=0.5, le=60)
    ] = 2.0
    # The job queue: unset means SQLite in the data dir (queue.db); redis://... to scale out.
    queue_url: Annotated[str | None, Field(validation_alias=_env("QUEUE_URL", original=True))] = None

    # Signs session cookies (stored Google grants have their own key, encryption_key). Unset: a
    # random key is made once and kept in <data dir>/secret.key (permissions 0600).
    secret_key: Annotated[SecretStr | None, Field(validation_alias=_env("SECRET_KEY"))] = None
    # The address guests and Google reach this server at, for guest links and QR codes printed
    # outside a browser (CLI), and Drive push notifications (https only). Unset: the address
    # the request came in on.
    public_base_url: Annotated[str | None, Field(validation_alias=_env("PUBLIC_BASE_URL", original=True))] = (
        None
    )
    # Outgoing mail (password resets): smtp://user:pass@host:587 (STARTTLS; plain text only to a
    # relay on this machine) or smtps://user:pass@host:465 (TLS from the start). Unset: no mail,
    # and nothing offers it.
    smtp_url: Annotated[SecretStr | None, Field(validation_alias=_env("SMTP_URL", original=True))] = None
    # The From: of eventface's mail. Unset: noreply@ the host of PUBLIC_BASE_URL (else localhost).
    mail_from: Annotated[str | None, Field(validation_alias=_env("MAIL_FROM"))] = None
    # Largest selfie a guest may upload, in megabytes.
    max_selfie_mb: Annotated[float, Field(validation_alias=_env("MAX_SELFIE_MB"), gt=0, le=100)] = 15.0
    # Guest searches allowed per client IP address per minute.
    search_rate_limit: Annotated[int, Field(validation_alias=_env("SEARCH_RATE_LIMIT"), ge=1)] = 30
    log_level: Annotated[str, Field(validation_alias=_env("LOG_LEVEL"))] = "INFO"
    # Reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. Empty: the connecting address is the client's.
    trusted_proxies: Annotated[list[str], NoDecode, Field(validation_alias=_env("TRUSTED_PROXIES"))] = []

    # The OAuth client photographers connect Google Drive through (README: "Google Drive").
    # Either the id and secret, or the client-secrets JSON downloaded from the Cloud console.
    google_client_id: Annotated[
        str | None, Field(validation_alias=_env("GOOGLE_CLIENT_ID", original=True))
    ] = None
    google_client_secret: Annotated[
        SecretStr | None, Field(validation_alias=_env("GOOGLE_CLIENT_SECRET", original=True))
    ] = None
    google_client_secrets_file: Annotated[
        Path | None, Field(validation_alias=_env("GOOGLE_CLIENT_SECRETS_FILE", original=True))
    ] = None
    # Any Drive-v3-compatible endpoint (a proxy, a test fake); Google's by default.
    drive_api_url: Annotated[str, Field(validation_alias=_env("DRIVE_API_URL", original=True))] = (
        "https://www.googleapis.com/drive/v3/"
    )

    # Accounts and sessions (README: "Accounts and sign-in")
    signup: Annotated[SignupPolicy, Field(validation_alias=_env("SIGNUP"))] = SignupPolicy.CLOSED
    # Encrypts stored Google grants. Unset: <data dir>/encryption.key, made once (0600).
    encryption_key: Annotated[SecretStr | None, Field(validation_alias=_env("ENCRYPTION_KEY"))] = None
    password_hash_cost: Annotated[PasswordHashCost, Field(validation_alias=_env("PASSWORD_HASH_COST"))] = (
        PasswordHashCost.PRODUCTION
    )
    # No single visitor can take it down (issue 10): selfie pixels, uploads at once, slow clients.
    # Selfies with more pixels than this are refused from their header, before any decoding.
    max_selfie_pixels: Annotated[int, Field(validation_alias=_env("MAX_SELFIE_PIXELS"), gt=0)] = 40_000_000
    # Selfie uploads being received at once; more get 503 with Retry-After.
    max_concurrent_uploads: Annotated[int, Field(validation_alias=_env("MAX_CONCURRENT_UPLOADS"), ge=1)] = 16
    # Face-engine processes for guests' searches (issue 12); 0 means one per CPU core.
    search_workers: Annotated[int, Field(validation_alias=_env("SEARCH_WORKERS"), ge=0)] = 0
    # Searches waiting for a free search worker; beyond them a search gets 503 with Retry-After.
    search_queue: Annotated[int, Field(validation_alias=_env("SEARCH_QUEUE"), ge=0)] = 32
    # Seconds a client has to send a request's line and headers; then the connection is closed.
    header_timeout_s: Annotated[float, Field(validation_alias=_env("HEADER_TIMEOUT_S"), gt=0)] = 10.0
    # Seconds a client has to send a request's whole body once its headers are in.
    body_timeout_s: Annotated[float, Field(validation_alias=_env("BODY_TIMEOUT_S"), gt=0)] = 60.0
    # Photo roots (issue 10): folders (comma-separated) inside which events made on the web or
    # through the API may point. Empty: <data dir>/photos, created on start.
    photo_roots: Annotated[list[Path], NoDecode, Field(validation_alias=_env("PHOTO_ROOTS"))] = []
    # Guests reach only what a search gave them: how long the photo, ZIP and face links it hands out work.
    photo_link_hours: Annotated[float, Field(validation_alias=_env("PHOTO_LINK_HOURS"), gt=0, le=720)] = 24.0

    # Headers, logs, API docs (issue 10): /docs and /redoc are served only when this is on.
    api_docs: Annotated[bool, Field(validation_alias=_env("API_DOCS"))] = False

    # Email notifications (issue 14, README: "Email notifications"): a guest's subscription, and
    # the face embeddings it keeps, is deleted this many days after the event's date (or after
    # the subscription, for an event without a date).
    notify_retention_days: Annotated[
        float, Field(validation_alias=_env("NOTIFY_RETENTION_DAYS"), gt=0, le=365)
    ] = 30.0
    # At most one email of new photos per subscriber per this many minutes; 0 sends at once.
    notify_digest_minutes: Annotated[float, Field(validation_alias=_env("NOTIFY_DIGEST_MINUTES"), ge=0)] = (
        15.0
    )
    # Scale-out (issue 15). Seconds a photo claimed by an indexing worker stays its own without a
    # sign of life from it; then another worker takes it over (a worker killed mid-photo).
    index_lease_s: Annotated[float, Field(validation_alias=_env("INDEX_LEASE_S"), ge=1)] = 60.0
    # Where thumbnails and previews are cached: per machine (the default, <data dir>/thumbnails)
    # or a path every machine shares. Each machine makes what it lacks from the photo itself.
    cache_dir: Annotated[Path | None, Field(validation_alias=_env("CACHE_DIR"))] = None

    def __init__(self, **values: Any) -> None:
        aliases: dict[str, Any] = {
            name: field.validation_alias.choices[0]
            for name, field in type(self).model_fields.items()
            if isinstance(field.validation_alias, AliasChoices)
        }
        super().__init__(**{aliases.get(key, key): value for key, value in values.items()})

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("secret_key", "encryption_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_KEY_BYTES:
            raise ValueError(
                f"the key must be at least {MIN_KEY_BYTES} bytes long; make one with"
                " `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("queue_url")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("QUEUE_URL must be a redis:// URL (leave it unset for SQLite in the data dir)")
        return value or None

    @field_validator("public_base_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("PUBLIC_BASE_URL must start with http:// or https://")
        return value.rstrip("/") if value else None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> list[str]:
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        networks = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError as exc:
                raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an IP address or network") from exc
        return networks

    @field_validator("photo_roots", mode="before")
    @classmethod
    def _folders(cls, value: object) -> list[Path]:
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        return [Path(str(item).strip()).expanduser() for item in items if str(item).strip()]

    @field_validator("drive_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("DRIVE_API_URL must start with http:// or https://")
        return value if value.endswith("/") else value + "/"

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and urlsplit(value.get_secret_value()).scheme not in {"smtp", "smtps"}:
            raise ValueError("SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'eventface.db').resolve()}"

    @property
    def mail_sender(self) -> str:
        if self.mail_from:
            return self.mail_from
        host = urlsplit(self.public_base_url).hostname if self.public_base_url else None
        return f"eventface <noreply@{host or 'localhost'}>"

    @property
    def photo_root_dirs(self) -> list[Path]:
        """The photo roots as configured, else the default one in the data dir."""
        return self.photo_roots or [self.data_dir / DEFAULT_PHOTO_ROOT]

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    @property
    def search_worker_count(self) -> int:
        return self.search_workers or os.cpu_count() or 1
