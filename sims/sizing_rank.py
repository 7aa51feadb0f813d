"""Re-pricing and ranking of sizing candidates (:mod:`sims.sizing`).

The simulated savings and cycles of a candidate do not depend on the finance, so a candidate is
re-priced (capex sensitivity, another capex per kWh) with :func:`sims.finance.project_cash_flows`
without re-simulating.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from sims.finance import FinanceInputs, project_cash_flows

__all__ = ["STAGES", "ranking", "reprice", "repriced_npv", "sensitivity"]

STAGES = ("pf", "fc")
"""Column prefixes: ``pf_`` the prescient bound (stage 1), ``fc_`` forecast-driven (stage 2)."""


def reprice(
    finance: FinanceInputs,
    *,
    power_kw: float,
    energy_kwh: float,
    first_year_savings_usd: float,
    cycles_per_year: float,
    capex_factor: float = 1.0,
) -> tuple[float, float]:
    """``(NPV, IRR)`` of a candidate's simulated year with every capex term x ``capex_factor``."""
    scaled = dataclasses.replace(
        finance,
        capex_fixed_usd=finance.capex_fixed_usd * capex_factor,
        capex_usd_per_kw=finance.capex_usd_per_kw * capex_factor,
        capex_usd_per_kwh=finance.capex_usd_per_kwh * capex_factor,
    )
    result = project_cash_flows(
        scaled,
        power_kw=power_kw,
        energy_kwh=energy_kwh,
        first_year_savings_usd=first_year_savings_usd,
        cycles_per_year=cycles_per_year,
    )
    return result.npv_usd, result.irr_fraction


def ranking(top: pd.DataFrame) -> dict[str, float]:
    """Rank of the screen's winner under forecasts, Spearman and Kendall over the top k."""
    from scipy import stats

    done = top.dropna(subset=["fc_npv_usd"])
    winner = top.loc[top["pf_rank"].idxmin()]
    out = {
        "top_k": float(len(top)),
        "pf_winner_rank_under_forecasts": float(winner["fc_rank"]),
        "spearman": math.nan,
        "kendall": math.nan,
    }
    if len(done) >= 2:
        out["spearman"] = float(stats.spearmanr(done["pf_npv_usd"], done["fc_npv_usd"])[0])
        out["kendall"] = float(stats.kendalltau(done["pf_npv_usd"], done["fc_npv_usd"])[0])
    return out


def repriced_npv(
    table: pd.DataFrame, finance: FinanceInputs, stage: str, capex_factor: float = 1.0
) -> pd.Series:
    """Every candidate's NPV for one stage (``"pf"`` or ``"fc"``) under ``finance``.

    The simulated savings and cycles do not depend on the finance, so a candidate is re-priced
    without re-simulating (NaN where the stage did not run).
    """
    npv = pd.Series(np.nan, index=table.index)
    for i, cand in table.iterrows():
        savings = cand.get(f"{stage}_first_year_savings_usd", math.nan)
        if isinstance(savings, float) and math.isfinite(savings):
            npv[i] = reprice(
                finance,
                power_kw=cand["power_kw"],
                energy_kwh=cand["energy_kwh"],
                first_year_savings_usd=savings,
                cycles_per_year=cand[f"{stage}_cycles_per_year"],
                capex_factor=capex_factor,
            )[0]
    return npv


def sensitivity(table: pd.DataFrame, finance: FinanceInputs, fraction: float) -> pd.DataFrame:
    """The best candidate of each stage at capex x (1 - f), 1, (1 + f)."""
    rows = []
    for factor in (1 - fraction, 1.0, 1 + fraction):
        row: dict[str, object] = {"capex_factor": factor}
        for stage in STAGES:
            npv = repriced_npv(table, finance, stage, factor)
            if npv.notna().any():
                best = table.loc[npv.idxmax()]
                row.update(
                    {
                        f"{stage}_best_power_kw": best["power_kw"],
                        f"{stage}_best_duration_h": best["duration_h"],
                        f"{stage}_best_npv_usd": float(npv.max()),
                    }
                )
        rows.append(row)
    return pd.DataFrame(rows)
