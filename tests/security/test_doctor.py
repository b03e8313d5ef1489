"""`eventface doctor`: what would hurt in production, one line each with its fix, exit code 1 if serious."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eventface.services.doctor import Finding, Severity, examine
from eventface.settings import Settings
from tests.server.conftest import CLI_TIMEOUT_S, EVENTFACE, eventface_env

GOOD_KEY = "kJ3v9Qx2Lm8Rt5Wz1Yb7Nc4Hd6Fg0Sa-Pe_UoIiKqXwZl"
PRODUCTION = {
    "PUBLIC_BASE_URL": "https://photos.example.org",
    "EVENTFACE_TRUSTED_PROXIES": "127.0.0.1,::1",
    "EVENTFACE_SECRET_KEY": GOOD_KEY,
}


def doctor(data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EVENTFACE), "doctor", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env={**eventface_env(), **env},
        cwd=data_dir.parent,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def private_data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    (data_dir / "photos").mkdir(parents=True, mode=0o700)
    data_dir.chmod(0o700)
    return data_dir


def findings(**settings: Any) -> list[Finding]:
    return examine(Settings(**{"secret_key": GOOD_KEY, **settings}))


def problems(found: list[Finding]) -> str:
    return "\n".join(f"{f.severity} {f.problem}" for f in found)


def test_doctor_finds_nothing_on_a_server_set_up_as_docs_deploy_says(tmp_path: Path) -> None:
    result = doctor(private_data_dir(tmp_path), PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Nothing found that would hurt in production."


def test_doctor_prints_one_line_per_problem_with_its_fix_and_exits_1(tmp_path: Path) -> None:
    data_dir = private_data_dir(tmp_path)
    (data_dir / "eventface.db").write_bytes(b"")
    (data_dir / "eventface.db").chmod(0o644)
    env = {
        "PUBLIC_BASE_URL": "http://192.168.1.20:8000",
        "EVENTFACE_SECRET_KEY": "changeme" * 5,
        "EVENTFACE_PHOTO_ROOTS": str(tmp_path / "missing"),
    }

    result = doctor(data_dir, env)

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "4 serious, 1 warnings."
    assert all(" Fix: " in line for line in lines[:-1]), lines
    assert lines[0].startswith("SERIOUS  PUBLIC_BASE_URL points to 192.168.1.20")
    assert any(line.startswith("SERIOUS  PUBLIC_BASE_URL is http://") for line in lines)
    assert any(line.startswith("SERIOUS  EVENTFACE_SECRET_KEY is easy to guess") for line in lines)
    assert any(f"Fix: chmod -R go-rwx {data_dir}" in line for line in lines)
    assert any(
        line.startswith(f"warning  photo root {tmp_path / 'missing'} does not exist") for line in lines
    )
    assert "changeme" not in result.stdout  # the key itself is never printed


def test_doctor_reports_settings_eventface_would_refuse_to_start_with(tmp_path: Path) -> None:
    result = doctor(private_data_dir(tmp_path), {**PRODUCTION, "EVENTFACE_SECRET_KEY": "short"})

    assert result.returncode == 2  # as every command does with invalid settings
    assert result.stderr.startswith("error: invalid settings: EVENTFACE_SECRET_KEY")
    assert "at least 32 bytes" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        None,
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "https://photos.local",
        "http://10.1.2.3",
        "https://[::1]:8443",
        "https://[fd00::1]",
        "http://100.64.0.9",
        "http://myserver:8000",
    ],
)
def test_guest_links_phones_cannot_reach_are_serious(url: str | None) -> None:
    found = findings(public_base_url=url, trusted_proxies="127.0.0.1")

    assert any(f.severity is Severity.SERIOUS and "PUBLIC_BASE_URL" in f.problem for f in found), problems(
        found
    )


def test_an_https_address_without_trusted_proxies_is_serious() -> None:
    found = findings(public_base_url="https://photos.example.org")

    assert [f.problem.split(":")[0] for f in found] == [
        "PUBLIC_BASE_URL is https but EVENTFACE_TRUSTED_PROXIES is empty"
    ]


def test_open_sign_up_is_serious() -> None:
    found = findings(signup="open")

    assert any(f.severity is Severity.SERIOUS and "sign-up is open" in f.problem for f in found), problems(
        found
    )


@pytest.mark.parametrize("key", ["a" * 40, "changeme" * 5, "0123456789" * 4])
@pytest.mark.parametrize("setting", ["secret_key", "encryption_key"])
def test_a_guessable_key_is_serious(setting: str, key: str) -> None:
    found = findings(**{setting: key}, public_base_url="https://p.example.org", trusted_proxies="::1")

    assert [f.severity for f in found] == [Severity.SERIOUS]
    assert found[0].problem.startswith(f"EVENTFACE_{setting.upper()} is easy to guess")


def test_a_short_key_file_in_the_data_dir_is_serious(tmp_path: Path) -> None:
    data_dir = private_data_dir(tmp_path)
    (data_dir / "encryption.key").write_text("x9Q-short")
    (data_dir / "encryption.key").chmod(0o600)

    found = examine(
        Settings(data_dir=data_dir, public_base_url="https://p.example.org", trusted_proxies="::1")
    )

    assert [(f.problem, f.fix) for f in found] == [
        (
            f"{data_dir / 'encryption.key'} is short (9 bytes, at least 32 needed): stored Google grants "
            "can be decrypted (a new key means reconnecting Google accounts).",
            "write a new key: python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > "
            f"{data_dir / 'encryption.key'}",
        )
    ]


def test_files_other_users_may_read_in_the_data_dir_are_serious(tmp_path: Path) -> None:
    data_dir = private_data_dir(tmp_path)
    thumbs = data_dir / "thumbnails" / "480" / "1"
    for folder in reversed(thumbs.relative_to(data_dir).parents[:-1]):
        (data_dir / folder).mkdir(mode=0o700)
    thumbs.mkdir(mode=0o700)
    (thumbs / "5-abc.jpg").write_bytes(b"jpeg")
    os.chmod(thumbs / "5-abc.jpg", 0o604)

    found = findings(data_dir=data_dir, public_base_url="https://p.example.org", trusted_proxies="::1")

    assert [f.problem for f in found] == [
        "1 files or folders in the data dir are open to other users of this machine (database, keys, "
        f"face data, thumbnails), e.g. {thumbs / '5-abc.jpg'}."
    ]
