"""Year-long backtests, settlement, finance, fleet runs, reports and the command line."""
