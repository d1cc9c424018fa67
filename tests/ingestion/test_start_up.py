"""A cold ingest pays little before its first file: GX without SciPy, Altair or SQLAlchemy.

Run in a fresh interpreter: the test session has long imported all three.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
from ingestion import gate
gate.warm_up()
seen = {name: type(sys.modules.get(name)).__name__ for name in ("scipy.stats", "altair", "sqlalchemy")}

# An expectation that needs SciPy still works: it loads SciPy when it first calls it.
import pandas as pd
import great_expectations as gx
frame = pd.DataFrame({"x": [1, 2, 2, 3, 3, 3]})
batch = gate._batch_definition().get_batch(batch_parameters={"dataframe": frame})
kl = gx.expectations.ExpectColumnKLDivergenceToBeLessThan(
    column="x", partition_object={"values": [1, 2, 3], "weights": [1 / 6, 2 / 6, 3 / 6]}, threshold=0.01)
result = batch.validate(kl)
skewed = gx.expectations.ExpectColumnKLDivergenceToBeLessThan(
    column="x", partition_object={"values": [1, 2, 3], "weights": [0.8, 0.1, 0.1]}, threshold=0.01)
mismatch = batch.validate(skewed)

import sqlalchemy  # the block is lifted after GX's import
print(json.dumps({"deferred": seen, "kl_success": bool(result.success),
                  "kl_mismatch_success": bool(mismatch.success),
                  "kl_error": (result.exception_info or {}).get("exception_message"),
                  "scipy_after": type(sys.modules["scipy.stats"]).__name__,
                  "sqlalchemy_after": sqlalchemy.__name__}))
"""


def test_gx_imports_without_scipy_altair_sqlalchemy_and_they_still_work() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["deferred"] == {"scipy.stats": "DeferredModule", "altair": "DeferredModule",
                                 "sqlalchemy": "NoneType"}
    assert facts["kl_error"] is None
    assert facts["kl_success"] is True  # the observed distribution is the expected one
    assert facts["kl_mismatch_success"] is False  # SciPy's entropy really was computed
    assert facts["scipy_after"] == "module"
    assert facts["sqlalchemy_after"] == "sqlalchemy"


def test_the_gate_start_up_logs_nothing_from_gx_at_info(tmp_path: Path) -> None:
    """What an operator reads on stderr at start-up is the gate's, not GX's chatter."""
    probe = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "from ingestion import gate\n"
        "gate.warm_up()\n"
        "logging.getLogger('ingestion.gate').info('gate warm')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    assert "gate warm" in done.stderr  # INFO lines do reach stderr in this process
    assert "great_expectations" not in done.stderr, done.stderr
