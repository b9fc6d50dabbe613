"""Vendor the scripts and styles of strawberry's GraphiQL page into api/static/graphiql.

Run after upgrading strawberry (tests/api/test_graphiql.py says when):

    python tools/graphiql_assets/vendor.py

For each unpkg.com reference in the page it runs `npm pack PACKAGE@VERSION`,
takes the referenced file and checks it against the page's `integrity` hash
before writing it, so the vendored bytes are exactly what the page expects.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from api.graphiql import ASSETS_DIR, CDN_URL, local_name  # noqa: E402  # after the path fix above


def integrity_of(html: str, url: str) -> str | None:
    match = re.search(re.escape(url) + r'"\s+integrity="([^"]+)"', html)
    return match.group(1) if match else None


def main() -> int:
    html = get_graphql_ide_html(graphql_ide="graphiql")
    ASSETS_DIR.mkdir(parents=True, exist_ok=True)
    wanted = {local_name(*m.groups()): m for m in CDN_URL.finditer(html)}
    for stale in ASSETS_DIR.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for name, match in sorted(wanted.items()):
            package, version, path = match.groups()
            packed = subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp, check=True,
                capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / packed) as archive:
                member = archive.extractfile(f"package/{path}")
                if member is None:
                    raise SystemExit(f"{package}@{version} has no {path}")
                data = member.read()
            expected = integrity_of(html, match.group(0))
            actual = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
            if expected is not None and expected != actual:
                raise SystemExit(f"{name}: integrity {actual} differs from the page's {expected}")
            (ASSETS_DIR / name).write_bytes(data)
            print(f"{name}: {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
