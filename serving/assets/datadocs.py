"""The Great Expectations Data Docs, served with their CDN links rewritten to the npm packages
under ``/assets/npm`` (GE's templates load jQuery, Bootstrap, bootstrap-table, popper, Font
Awesome, bootstrap-datepicker and Vega from CDNs; offline the pages render empty).

Versions: GE 1.x asks for popper.js 1.12.9 but Bootstrap 4.3.1 needs popper ^1.14.7, so popper.js
1.16.1 is served; bootstrap-table's filter-control CSS of 1.19.0 is served from 1.19.1. GE's
logo images (an S3 URL with a tracking query) become an empty image; links to GE's web site stay
links (nothing loads unless clicked).
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

from serving.assets import url

SITE = Path("gx") / "uncommitted" / "data_docs" / "local_site"
REWRITES = {
    "https://code.jquery.com/jquery-3.7.1.min.js": url("jquery", "dist/jquery.min.js"),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": url("bootstrap", "dist/css/bootstrap.min.css"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": url("bootstrap", "dist/js/bootstrap.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": url("popper.js", "dist/umd/popper.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": url("@fortawesome/fontawesome-free", "css/all.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": url(
        "bootstrap-datepicker", "dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": url(
        "bootstrap-datepicker", "dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": url(
        "@forevolve/bootstrap-dark", "dist/css/bootstrap-prefers-dark.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": url("vega", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": url("vega-lite", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": url("vega-embed", "build/vega-embed.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": url("bootstrap-table", "dist/bootstrap-table.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": url("bootstrap-table", "dist/bootstrap-table.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": url(
        "bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": url(
        "bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": url(
        "bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
}
_URLS = re.compile("|".join(re.escape(u) for u in sorted(REWRITES, key=len, reverse=True)))
_REMOTE_IMG = re.compile(r'src="https?://[^"]*"')
BLANK = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'"
)


def site_dir(root: str | None) -> Path | None:
    return (Path(root) / SITE) if root else None


_TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.S)
_INTEGRITY = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')


@lru_cache(maxsize=64)
def _sri(local_url: str) -> str | None:
    """sha384 Subresource Integrity of a served npm file (GE's tags pin the CDN files' hashes; popper's differs)."""
    from serving.assets import PREFIX, node_modules

    f = node_modules() / local_url[len(PREFIX) + 1 :]
    if not f.is_file():
        return None
    return "sha384-" + base64.b64encode(hashlib.sha384(f.read_bytes()).digest()).decode()


def _tag(m: re.Match) -> str:
    tag = m.group(0)
    hit = _URLS.search(tag)
    if not hit:
        return tag
    local = REWRITES[hit.group(0)]
    tag = _INTEGRITY.sub("", tag.replace(hit.group(0), local))
    sri = _sri(local)
    return tag[:-1].rstrip("/ ") + (f' integrity="{sri}"' if sri else "") + (" />" if tag.endswith("/>") else ">")


def rewrite(text: str) -> str:
    text = _TAG.sub(_tag, text)
    text = _URLS.sub(lambda m: REWRITES[m.group(0)], text)
    return _REMOTE_IMG.sub(f'src="{BLANK}"', text)


def datadocs_response(root: str | None, path: str):
    from starlette.responses import Response

    site = site_dir(root)
    if site is None or not (site / "index.html").exists():
        return Response(
            "no Data Docs yet: run 'regulake run silver' with silver.data_docs_catalogs set",
            status_code=404,
            media_type="text/plain; charset=utf-8",
        )
    target = (site / path).resolve()
    if not target.is_relative_to(site.resolve()) or not target.is_file():
        return Response("not found", status_code=404, media_type="text/plain; charset=utf-8")
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if target.suffix == ".html":
        return Response(
            rewrite(target.read_text(encoding="utf-8")),
            media_type="text/html; charset=utf-8",
            headers={**headers, "Content-Security-Policy": CSP},
        )
    return Response(target.read_bytes(), media_type=mimetypes.guess_type(target.name)[0] or "application/octet-stream", headers=headers)
