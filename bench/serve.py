"""`portfolio-graph` as the benchmarks start it: `python -m bench.serve ARGS`.

The same entry point as the installed `portfolio-graph` script (api.cli:main),
run from the checkout, so the console script need not be installed.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from api.cli import main

    sys.exit(main(sys.argv[1:]))
