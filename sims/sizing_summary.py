"""The summary of a sizing run in words and JSON (``sizing.json``, the report's tables)."""

from __future__ import annotations

import math
from typing import Any

from sims.sizing import SizingResult, grid_step_check

__all__ = ["lp_explanation", "summary_payload"]


def _clean(value: Any) -> Any:
    """JSON-ready: NaN becomes None, inf "inf", numpy scalars plain numbers."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _candidate(result: SizingResult, size: tuple[float, float]) -> dict[str, Any]:
    table = result.candidates
    row = table[(table["power_kw"] == size[0]) & (table["energy_kwh"] == size[1])].iloc[0]
    keys = [
        "power_kw",
        "energy_kwh",
        "duration_h",
        *(
            f"{stage}_{name}"
            for stage in ("pf", "fc")
            for name in (
                "savings_usd",
                "first_year_savings_usd",
                "npv_usd",
                "irr_fraction",
                "payback_years",
            )
        ),
        "pf_rank",
        "fc_rank",
    ]
    return {key: row.get(key, math.nan) for key in keys}


def lp_explanation(result: SizingResult) -> str:
    """Why the screen's best and the LP optimum agree or differ, in words."""
    lp = result.lp
    if lp is None:
        return "The LP cross-check was not run (or failed; see the notes)."
    power, energy = result.pf_best
    head = (
        f"LP optimum {lp.power_kw:,.1f} kW / {lp.energy_kwh:,.1f} kWh "
        f"({lp.duration_h:.2f} h); the screen's best {power:g} kW / {energy:g} kWh "
        f"({energy / power:g} h)"
    )
    fixed = result.lp_at_pf_best
    simulated = math.nan
    if fixed is not None:
        simulated = float(
            result.candidates.loc[
                (result.candidates["power_kw"] == power)
                & (result.candidates["energy_kwh"] == energy),
                "pf_first_year_savings_usd",
            ].iloc[0]
        )
        head = (
            f"At the screen's best the LP's dispatch saves {fixed.first_year_savings_usd:,.0f} "
            f"$/yr, the simulated prescient run {simulated:,.0f} $/yr. " + head
        )
    if result.lp_within_one_step:
        return head + ": within one grid step."
    table = result.candidates
    powers = sorted(table["power_kw"].unique())
    durations = sorted(table["duration_h"].unique())
    reasons = []
    if not lp.power_kw > 1e-6:
        reasons.append("the LP finds no size whose savings pay for it")
    elif not powers[0] <= lp.power_kw <= powers[-1]:
        reasons.append(f"the LP's power lies outside the grid ({powers[0]:g}-{powers[-1]:g} kW)")
    elif not durations[0] <= lp.duration_h <= durations[-1]:
        reasons.append(
            f"the LP's duration lies outside the grid ({durations[0]:g}-{durations[-1]:g} h)"
        )
    if result.lp_finance_best is not None and lp.power_kw > 1e-6:
        p, e = result.lp_finance_best
        near = grid_step_check(lp, (p, e), powers, durations)
        priced = f"priced the LP's way (no fade or replacement) the screen's best is {p:g} kW / {e:g} kWh"
        if near:
            reasons.append(
                priced + ", within one step: the finance terms the LP lacks (capacity fade, "
                "replacement) make the difference"
            )
        elif fixed is not None and abs(fixed.first_year_savings_usd - simulated) <= 0.01 * abs(
            simulated
        ):
            reasons.append(
                priced + ", still not within one step although the two dispatches agree at the "
                "screen's best (savings within 1 %): the LP optimum lies beyond the grid, "
                "whose edge is the best the grid can offer"
            )
        else:
            reasons.append(
                priced + ", still not within one step: the dispatch and bill differ (the LP "
                "allows charging and discharging at once, prices first tiers, sizes continuously"
                + (", runs on hourly means" if lp.step_h == 1 else "")
                + ")"
            )
    extra = [n for n in lp.notes if not n.startswith("capacity fade")]
    reasons += extra
    return head + ": NOT within one grid step; " + "; ".join(reasons) + "."


def summary_payload(result: SizingResult) -> dict[str, Any]:
    """The JSON-ready summary of a sizing run (``sizing.json``)."""
    lp = None
    if result.lp is not None:
        lp = {
            "power_kw": result.lp.power_kw,
            "energy_kwh": result.lp.energy_kwh,
            "duration_h": result.lp.duration_h,
            "first_year_savings_usd": result.lp.first_year_savings_usd,
            "npv_usd": result.lp.npv_usd,
            "annualized_usd_per_kw_year": result.lp.costs.usd_per_kw_year,
            "annualized_usd_per_kwh_year": result.lp.costs.usd_per_kwh_year,
            "capital_recovery_factor": result.lp.costs.crf,
            "n_steps": result.lp.n_steps,
            "step_h": result.lp.step_h,
            "build_s": result.lp.build_s,
            "solve_s": result.lp.solve_s,
            "notes": list(result.lp.notes),
        }
        if result.lp_at_pf_best is not None:
            lp["first_year_savings_at_pf_best_usd"] = result.lp_at_pf_best.first_year_savings_usd
    payload = {
        "site": result.site,
        "peak_kw": result.peak_kw,
        "n_candidates": len(result.candidates),
        "recommended": _candidate(result, result.recommended),
        "pf_best": _candidate(result, result.pf_best),
        "ranking": result.ranking,
        "lp": lp,
        "lp_within_one_step": result.lp_within_one_step,
        "lp_finance_best": result.lp_finance_best,
        "lp_explanation": lp_explanation(result),
        "sensitivity": result.sensitivity.to_dict(orient="records"),
        "notes": list(result.notes),
        "timings": result.timings,
    }
    return _clean(payload)
