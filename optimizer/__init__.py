"""Battery dispatch optimization: a Pyomo MILP solved by HiGHS, one block per value stream."""
