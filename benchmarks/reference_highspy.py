"""Re-export of :mod:`tests.oracles.reference_highspy` (the oracle lives with the tests)."""

from tests.oracles.reference_highspy import DirectProblem, DirectResult, build_direct, solve_direct

__all__ = ["DirectProblem", "DirectResult", "build_direct", "solve_direct"]
