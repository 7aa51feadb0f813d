"""Battery dispatch optimization: a Pyomo MILP solved by HiGHS, one block per value stream.

Public API::

    from optimizer import (Battery, TerminalSoc, TerminalMode, MonthToDate, DispatchModel,
                           optimize_dispatch, DispatchResult, SolverReport, Termination)

:class:`DispatchModel` is built once per site and horizon length and re-solved with new data
through a persistent HiGHS interface; :func:`optimize_dispatch` builds and solves once, and
:class:`OneShotDispatch` does that on every ``solve`` (for horizons solved a few times). Value
streams (:mod:`optimizer.streams`) each add a Pyomo block and an objective term; market
streams plug in through the same interface.

Pyomo holds the model; on a re-solve the new parameter values go to HiGHS as whole numpy
vectors and the solution comes back as one array (:mod:`optimizer.solver`). HiGHS prints
nothing unless the ``optimizer`` logger is at DEBUG (``logging.getLogger("optimizer")
.setLevel(logging.DEBUG)``), then its log goes to the console. PV can always be curtailed
(schedule column ``pv_curtail_kw``), and an infeasible window raises
:class:`core.errors.SolverError` naming the limit and the first interval where it cannot hold
(:mod:`optimizer.diagnose`).
"""

from optimizer.battery import Battery
from optimizer.dispatch import OneShotDispatch, optimize_dispatch
from optimizer.model import DEFAULT_MIP_REL_GAP, DispatchModel
from optimizer.results import SCHEDULE_COLUMNS, DispatchResult, SolverReport, Termination
from optimizer.state import MonthToDate, TerminalMode, TerminalSoc
from optimizer.streams import CoreHandles, Stream, StreamTerms

__all__ = [
    "DEFAULT_MIP_REL_GAP",
    "SCHEDULE_COLUMNS",
    "Battery",
    "CoreHandles",
    "DispatchModel",
    "DispatchResult",
    "MonthToDate",
    "OneShotDispatch",
    "SolverReport",
    "Stream",
    "StreamTerms",
    "Termination",
    "TerminalMode",
    "TerminalSoc",
    "optimize_dispatch",
]
