"""Write the served SDL to api/schema.graphql: `python -m api.schema.export [--check]`.

The file is committed so reviewers see every schema change in the diff;
tests/api/test_contract.py fails when it is out of date and when the served
schema breaks the contract (tests/contract/schema.graphql, a copy of the
contract's SDL: refresh it with `--contract PATH`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from api.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
SERVED_SDL = ROOT / "api" / "schema.graphql"
CONTRACT_COPY = ROOT / "tests" / "contract" / "schema.graphql"


def served_sdl() -> str:
    """The SDL the API serves, as printed by strawberry, with a final newline."""
    return build_schema().as_str().rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.schema.export", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when api/schema.graphql differs from the served schema")
    parser.add_argument("--contract", type=Path,
                        help="also copy this contract SDL to tests/contract/schema.graphql")
    args = parser.parse_args(argv)
    sdl = served_sdl()
    if args.check:
        current = SERVED_SDL.read_text(encoding="utf-8") if SERVED_SDL.exists() else ""
        if current != sdl:
            print(f"{SERVED_SDL} is out of date: run python -m api.schema.export",
                  file=sys.stderr)
            return 1
        return 0
    SERVED_SDL.write_text(sdl, encoding="utf-8")
    print(f"wrote {SERVED_SDL}")
    if args.contract is not None:
        CONTRACT_COPY.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.contract, CONTRACT_COPY)
        print(f"copied {args.contract} to {CONTRACT_COPY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
