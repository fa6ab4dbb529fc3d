"""AI + double-random inspection plans (双随机、一公开): registers, the seeded draw, inspector
assignment with cross-district fallback, two-phase draws (commitment published first, public
randomness after T: ``commitment``, ``randomness``), audit and verification (``verifier``: for
anyone, from the published tables), public disclosure, the simulated closed loop and the
effectiveness report. See docs/plans.md."""
