"""Error types shared by every valuestack package.

One base class, :class:`ValuestackError`; :class:`InputError` for bad input (it names the
field, the value and what was expected) and :class:`SolverError` for a solve that did not end
optimal (it carries the termination condition).
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = ["InputError", "SolverError", "ValuestackError"]


class ValuestackError(Exception):
    """Base class of every error valuestack raises on purpose."""


def _short_repr(value: Any, limit: int = 160) -> str:
    # a time reads as its ISO string (2024-03-10T02:30:00-08:00), not Timestamp('...')
    is_time = isinstance(value, (datetime.date, datetime.time))
    text = value.isoformat() if is_time else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(ValuestackError, ValueError):
    """An input is malformed or out of range.

    Parameters
    ----------
    field : str
        The name of the offending field, argument or column (a dotted path where nested,
        e.g. ``"energyratestructure[2][0].rate"``).
    value : Any
        The value that was given.
    expected : str
        What was expected instead, in words.
    """

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: got {_short_repr(value)}; expected {expected}")

    def __reduce__(self) -> tuple:
        # Rebuild from the three constructor arguments, so the error crosses process
        # boundaries (process pools, Dask) intact.
        return (type(self), (self.field, self.value, self.expected))


class SolverError(ValuestackError):
    """The solver ended without a proven optimum.

    Parameters
    ----------
    message : str
        What happened.
    termination : Any
        The termination condition (an enum member of ``optimizer``'s ``Termination``).
    """

    def __init__(self, message: str, termination: Any) -> None:
        self.termination = termination
        self.message = message
        super().__init__(f"{message} (termination: {termination})")

    def __reduce__(self) -> tuple:
        return (type(self), (self.message, self.termination))
