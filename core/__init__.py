"""Primitives every valuestack package shares: errors, the time grid, input validation."""

from core.errors import InputError, SolverError, ValuestackError
from core.timegrid import TimeGrid, step_hours, validate_index
from core.validation import (
    require_finite,
    require_fraction,
    require_in,
    require_nonnegative,
    require_positive,
    validate_frame,
    validate_series,
)

__all__ = [
    "InputError",
    "SolverError",
    "TimeGrid",
    "ValuestackError",
    "require_finite",
    "require_fraction",
    "require_in",
    "require_nonnegative",
    "require_positive",
    "step_hours",
    "validate_frame",
    "validate_index",
    "validate_series",
]
