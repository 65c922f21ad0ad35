"""A small real ledger for the report tests: two claims at the theory level (quick preset), plus one
scale-level record whose plot is a PNG beside it, as ``verify --level scale --plots`` writes them."""
import json

import pytest

from bnclaims.cli import main

CLAIMS = ("santurkar.lemma45_initialization", "bn.dmu_second_term_vanishes")
SCALE_ID = "desmith.residual_variance_linear_growth"


def _plot(path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), dpi=50)
    FigureCanvasAgg(fig)
    fig.subplots().plot([0, 1, 2], [0, 1, 4])
    fig.savefig(path, format="png", metadata={"Software": None})


@pytest.fixture(scope="session")
def ledger_path(tmp_path_factory):
    """The path of the ledger; its plots are in ``plots/`` beside it (recorded in its environment)."""
    root = tmp_path_factory.mktemp("ledger")
    path = root / "ledger.json"
    code = main(["verify", *CLAIMS, "--level", "theory", "--preset", "quick", "--no-progress", "--json", str(path)])
    assert code == 0
    doc = json.loads(path.read_text())
    (root / "plots").mkdir()
    _plot(root / "plots" / f"{SCALE_ID}.png")
    doc["environment"]["plots"] = "plots"
    doc["results"].append({"id": SCALE_ID, "level": "scale", "verdict": "holds", "expected": None,
                           "as_expected": True, "scope": "4 seeds, quick preset",
                           "evidence": {"plot": f"{SCALE_ID}.png"}, "seconds": 1.0})
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest.fixture(scope="session")
def ledger(ledger_path):
    return json.loads(ledger_path.read_text())


@pytest.fixture(scope="session")
def report_dir(ledger_path, tmp_path_factory):
    """The report of the ledger, written by ``bnclaims report``."""
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--from", str(ledger_path), "--out", str(out)]) == 0
    return out
