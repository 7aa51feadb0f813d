"""Second methods the tests check the library against (and the benchmarks time against).

They live here, not in the shipped packages: :mod:`tests.oracles.bill_reference` (the bill as a
plain per-interval loop) and :mod:`tests.oracles.reference_highspy` (the dispatch LP/MILP built
as numpy arrays and passed straight to HiGHS).
"""
