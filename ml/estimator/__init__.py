"""Machine learning on Spark: LightGBM's data-parallel learner in barrier stages."""
