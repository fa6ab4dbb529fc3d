"""Electronic inspection records (issue 28): forms, signatures, PDF archives, delivery links, public results.

- :mod:`.settings`    ``serving: inspections:`` of the configuration (pydantic, unknown keys refused)
- :mod:`.signing`     canonical JSON of a record and Ed25519 device signatures
- :mod:`.store`       the append-only record events (``audit.inspection_records``), drafts, task lookup
- :mod:`.archive`     the PDF in the form's layout, its seal and watermark, ``audit.inspection_archives``
- :mod:`.delivery`    HMAC-signed expiring links, the SMS text, the outbox and the gateway adapter
- :mod:`.public`      a finished task's public result page and its QR code
- :mod:`.landing`     final records as a landing batch of catalog SCJG-005
- :mod:`.api`         the routes, registered by the FastAPI app factory
- :mod:`.client`      an inspector's device as an HTTP client (``simulate-inspections --api``)
"""
