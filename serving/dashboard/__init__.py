"""The operations centre (智慧运行中心): a dashboard of supervision, risk and data quality (issue 27).

``state``: in-memory snapshots of the gold tables the panels read, reloaded when a Delta version
moves; ``panels``: the panels' figures from those snapshots under the period / district /
industry filters; ``auth``: login with an API key holding ``dashboard:read``, a server-side
session behind an HttpOnly SameSite cookie, CSRF checks; ``routes``: the page and its JSON.
"""
