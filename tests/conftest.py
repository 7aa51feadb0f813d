"""Shared test fixtures: the real-data folder and hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def shared_data_dir() -> Path:
    """``../shared/data`` beside the project (or ``$VALUESTACK_SHARED_DATA``)."""
    override = os.environ.get("VALUESTACK_SHARED_DATA")
    path = Path(override) if override else REPO_ROOT.parent / "shared" / "data"
    if not (path / "MANIFEST.md").is_file():
        raise FileNotFoundError(
            f"real data not found at {path}: put shared/ beside the project "
            "or set VALUESTACK_SHARED_DATA"
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the real-data folder ``shared/data``."""
    return shared_data_dir()
