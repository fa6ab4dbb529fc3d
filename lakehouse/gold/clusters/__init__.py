"""Registration-cluster alerts (集群注册预警): many companies registered at one address within days.

Modules: ``settings``, ``address`` (normalisation and the grouping key), ``detect`` (windows
of registrations per address, in Spark), ``score`` (components, score, reasons), ``build``
(end to end, gold tables) and ``evaluate`` (recall and precision against the simulator's
answer key; evaluation only).
"""
