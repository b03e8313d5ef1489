"""Docs as tests: every setting is documented in README.md under the names it is read from."""

from __future__ import annotations

import re

import pytest
from pydantic import AliasChoices

from eventface.settings import Settings
from tests.conftest import REPO_ROOT

# the original system's environment names (and those the issues spell bare: QUEUE_URL, Google's
# client settings, DRIVE_API_URL, PUBLIC_BASE_URL, SMTP_URL), accepted and documented without the prefix
ORIGINAL_NAMES = {
    "DATABASE_URL",
    "FACE_TOLERANCE",
    "AUTO_SYNC_INTERVAL",
    "QUEUE_URL",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_CLIENT_SECRETS_FILE",
    "DRIVE_API_URL",
    "PUBLIC_BASE_URL",
    "SMTP_URL",
}


def env_names(field: str) -> list[str]:
    alias = Settings.model_fields[field].validation_alias
    assert isinstance(alias, AliasChoices)
    return [str(choice) for choice in alias.choices]


def settings_table() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Settings", 1)
    if len(section) < 2:
        pytest.fail("README.md has no '## Settings' section")
    return section[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented_once_under_its_names(field: str) -> None:
    prefixed = f"EVENTFACE_{field.upper()}"
    expected = {prefixed, field.upper()} if field.upper() in ORIGINAL_NAMES else {prefixed}
    first_cells = [line.split("|")[1] for line in settings_table().splitlines() if line.startswith("| `")]

    rows = [set(re.findall(r"`([A-Z_]+)`", cell)) for cell in first_cells]
    naming = [names for names in rows if prefixed in names]

    assert naming == [expected], f"{field}: expected one README settings row naming {sorted(expected)}"


def test_readme_documents_no_setting_that_does_not_exist() -> None:
    known = {name for field in Settings.model_fields for name in env_names(field)}
    first_cells = [line.split("|")[1] for line in settings_table().splitlines() if line.startswith("| `")]

    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z_]+)`", cell)}

    assert documented
    assert documented - known == set()
