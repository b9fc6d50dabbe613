"""GraphiQL without a CDN: the page strawberry ships, with its scripts served by this app.

strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from
unpkg.com, which closed networks cannot reach. The same files (same versions,
same bytes: the page's `integrity` hashes still hold) are vendored under
api/static/graphiql by `python tools/graphiql_assets/vendor.py` and served at
ASSETS_PATH; `offline_page` points the page at them.
"""

from __future__ import annotations

import re
from pathlib import Path

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"
# A CDN reference in the page: package (maybe scoped), version, path inside the package.
CDN_URL = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([\w./-]+)")


def local_name(package: str, version: str, path: str) -> str:
    """The vendored file's name: versioned, so a cached copy is never stale."""
    return f"{package.replace('@', '').replace('/', '-')}-{version}-{path.rsplit('/', 1)[-1]}"


def offline_page(html: str) -> str:
    """The page with every vendored CDN reference pointing at this app."""

    def local(match: re.Match[str]) -> str:
        name = local_name(*match.groups())
        return f"{ASSETS_PATH}/{name}" if (ASSETS_DIR / name).is_file() else match.group(0)

    return CDN_URL.sub(local, html)
