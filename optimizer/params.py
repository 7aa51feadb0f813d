"""Writing values into mutable Pyomo parameters (shared by the core and every stream)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyomo.environ as pyo

__all__ = ["assign"]


def assign(param: pyo.Param, values: Sequence[float] | np.ndarray) -> None:
    """Write ``values`` into the elements of a mutable indexed ``param``, in index order.

    The values are validated finite floats by then, so Pyomo's per-element checks are
    skipped: the parameter's data objects are listed once (kept on the component) and their
    values set directly, which is what ``store_values(..., check=False)`` does per element.
    """
    floats = np.asarray(values, dtype=float).tolist()
    datas = getattr(param, "_valuestack_datas", None)
    if datas is None:
        datas = [param[key] for key in param.keys()]
        param._valuestack_datas = datas
    if len(floats) != len(datas):
        raise ValueError(f"{param.name}: {len(floats)} values for {len(datas)} elements")
    for data, value in zip(datas, floats, strict=True):
        data._value = value
