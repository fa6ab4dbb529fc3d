"""Risk model: factors, selection, distributed LightGBM, tuning, registry, scoring."""
