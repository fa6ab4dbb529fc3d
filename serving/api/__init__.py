"""The scoring API (FastAPI on uvicorn): risk lookups, scoring with the champion, public plans and hot words.

>>> from serving.app import create_app   # doctest: +SKIP
"""
