"""`audit --as-of` and `diff FROM [TO]` on a real embedded engine per data dir."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.api.test_cli import run, write
from tests.helpers import example


def test_audit_as_of_and_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    raw = example()
    assert run(capsys, "import", write(tmp_path, "v1.json", raw), "--data-dir", data)[0] == 0
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    raw["epics"][1]["approved"] = True  # closes the only approval violation
    assert run(capsys, "import", write(tmp_path, "v2.json", raw), "--data-dir", data)[0] == 0

    code, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json", "--as-of", "1")
    assert code == 1 and "approval.significant-epic" in {v["rule"] for v in json.loads(out)}
    code, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json")
    assert "approval.significant-epic" not in {v["rule"] for v in json.loads(out)}
    code, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json",
                       "--as-of", between)
    assert "approval.significant-epic" in {v["rule"] for v in json.loads(out)}
    assert run(capsys, "audit", "--data-dir", data, "--as-of", "0")[0] == 0

    code, out, _ = run(capsys, "diff", "1", "--data-dir", data, "--format", "json")
    diff = json.loads(out)
    assert code == 0 and (diff["from"], diff["to"]) == (1, 2)
    assert [(c["id"], c["fields"]) for c in diff["changed"]] == [("E-CHECKOUT-HA", ["approved"])]
    assert [v["rule"] for v in diff["violationsClosed"]] == ["approval.significant-epic"]
    code, out, _ = run(capsys, "diff", "0", "1", "--data-dir", data)
    assert code == 0 and "added" in out and "F-INTENTS" in out

    code, _, err = run(capsys, "diff", "2", "1", "--data-dir", data)
    assert code == 2 and "after to" in err
    code, _, err = run(capsys, "audit", "--data-dir", data, "--as-of", "9")
    assert code == 2 and "after the current version 2" in err
    with pytest.raises(SystemExit):
        run(capsys, "diff", "yesterday", "--data-dir", data)
    assert "neither a version number nor an ISO 8601 instant" in capsys.readouterr().err
