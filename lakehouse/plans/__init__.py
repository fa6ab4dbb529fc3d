"""AI + double-random inspection plans (双随机、一公开): registers, the seeded draw, inspector
assignment, commit–reveal audit and verification, public disclosure, the simulated closed
loop and the effectiveness report. See docs/plans.md."""
