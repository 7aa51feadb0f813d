"""Load and PV forecasting, and rolling-origin forecast evaluation. Never imports Pyomo."""
