"""The XploreDL examples: their sweep specs are valid, and the quick AlexNet study runs end to end."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from loopscape.dse import load_sweep

EXAMPLES = Path(__file__).parents[2] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "full", "quick", "training"),
    [("xploredl_alexnet", 540, 8, False), ("xploredl_deepcaps_training", 36, 2, True)],
)
def test_example_specs_are_valid_45nm_sweeps(tmp_path, name, full, quick, training):
    example = load_example(name)
    for is_quick, size in ((False, full), (True, quick)):
        file = tmp_path / f"{name}_{is_quick}.yaml"
        file.write_text(example.spec_text(is_quick))
        spec = load_sweep(file)
        assert spec.space_size == size
        assert dict(spec.parameters)["technology"] == ("45nm",)
        assert spec.workloads[0].training is training
    assert set(example.PAPER) == {"fj_per_op", "tops_per_mm2"}


@pytest.mark.slow
def test_quick_alexnet_study_writes_plots_and_resumes(tmp_path):
    example = load_example("xploredl_alexnet")
    result = example.main(["--quick", "--workers", "1", "--out", str(tmp_path)])
    assert result["points"] == 8
    assert {Path(p).suffix for p in result["plots"]} == {".png", ".svg"}
    assert all(Path(p).stat().st_size > 1000 for p in result["plots"])
    best = result["fj_per_op"]["best_efficiency"]
    assert best["onchip_fj_per_op"] < best["fj_per_op"]
    again = example.main(["--quick", "--workers", "1", "--out", str(tmp_path)])
    assert again["fj_per_op"] == result["fj_per_op"]  # every point came from the store
