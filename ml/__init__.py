"""The risk model: factors, labels, selection, tuning, training, tracking, scoring, rescoring, and the LightGBM estimator (``ml.estimator``)."""
