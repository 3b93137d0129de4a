"""Command lines of the studies: every bad option value is one argparse-style line naming it, exit code 2."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

CASES = [
    ("swapping_143km", ["--link-loss", "-5"], "--link-loss"),
    ("swapping_143km", ["--distance", "-10"], "--distance"),
    ("swapping_143km", ["--operating-point", "0"], "--operating-point"),
    ("swapping_143km", ["--window", "0"], "--window"),
    ("swapping_143km", ["--remote-noise", "nan"], "--remote-noise"),
    ("swapping_143km", ["--remote-noise", "1e9"], "--remote-noise"),
    ("swapping_143km", ["--data", "absent.csv"], "--data"),
    ("optimal_time", ["--F0", "0.2"], "--F0"),
    ("optimal_time", ["--resolution", "3"], "--resolution"),
    ("optimal_time", ["--tau", "0"], "--tau"),
    ("optimal_time", ["--shots", "many"], "--shots"),
    ("guaranteed_improvement", ["--samples", "0"], "--samples"),
    ("guaranteed_improvement", ["--measurement-error", "-1"], "--measurement-error"),
    ("repeater_chain", ["--segments", "3"], "--segments"),
    ("repeater_chain", ["--distances", "-5"], "--distances"),
    ("repeater_chain", ["--p-swap", "0"], "--p-swap"),
    ("certified_claims", ["--k", "2"], "--k"),
    ("certified_claims", ["--t1", "0.5"], "--t1"),
    ("swap_policies", ["--deliveries", "5"], "--deliveries"),
    ("swap_policies", ["--seed", "-1"], "--seed"),
    ("purification_circuits", ["--gate-fidelity", "1.5"], "--gate-fidelity"),
    ("purification_circuits", ["--measurement-error", "-0.1"], "--measurement-error"),
]


@pytest.mark.parametrize("study, argv, option", CASES)
def test_bad_option_is_one_line_naming_it_with_exit_code_2(study, argv, option, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(f"qnet.studies.{study}")
    with pytest.raises(SystemExit) as info:
        module.main(["--quick", "--no-progress", "--out", str(tmp_path / "out"), *argv])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2
    assert len(err.splitlines()) == 1 and f"argument {option}" in err, err


@pytest.mark.parametrize("study", ["optimal_time", "swapping_143km"])
def test_out_under_a_file_is_an_argparse_error(study, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    module = importlib.import_module(f"qnet.studies.{study}")
    with pytest.raises(SystemExit) as info:
        module.main(["--quick", "--no-progress", "--out", str(blocker / "out")])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and len(err.splitlines()) == 1 and "argument --out" in err


def test_python_m_qnet_help_prints_help_instead_of_running_the_demo():
    res = subprocess.run([sys.executable, "-m", "qnet", "--help"], capture_output=True, text=True, check=True)
    assert res.stdout.startswith("usage: python -m qnet") and "t* [1/gamma]" not in res.stdout


def test_python_m_qnet_studies_lists_every_study_one_line_each():
    from qnet.studies.gallery import study_names

    res = subprocess.run([sys.executable, "-m", "qnet.studies"], capture_output=True, text=True, check=True)
    lines = res.stdout.splitlines()
    for name in study_names():
        assert sum(line.startswith(name + " ") for line in lines) == 1


def test_a_study_ends_with_where_it_wrote_and_three_summary_lines(tmp_path, capsys):
    from qnet.studies import repeater_chain

    repeater_chain.main(["--quick", "--no-progress", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-4] == f"wrote {tmp_path}" and all(line.startswith("  ") for line in lines[-3:])
    assert "bit/s" in lines[-2]


def test_gallery_readme_shows_every_committed_figure_with_caption_and_data_links():
    from pathlib import Path

    from qnet.studies.gallery import study_names

    root = Path(__file__).resolve().parents[1] / "studies"
    readme = (root / "README.md").read_text(encoding="utf-8")
    for name in study_names():
        module = importlib.import_module(f"qnet.studies.{name}")
        for png in sorted((root / name).glob("*.png")):
            assert f"]({name}/{png.name})" in readme, png
            caption, data = module.FIGURES[png.stem]       # every committed figure has a caption
            assert caption in readme
            for d in data:
                if (root / name / d).exists():
                    assert f"]({name}/{d})" in readme
        order = [p for p in module.FIGURES if (root / name / f"{p}.png").exists()]
        positions = [readme.index(f"### {p}\n") for p in order]
        assert positions == sorted(positions), f"{name}: figures not in panel order"


def test_a_value_that_starts_with_a_minus_is_read_as_a_value(tmp_path, capsys):
    """``--memory -1,0,0`` was taken for an option ("expected one argument"); it is now the option's value, refused
    for what it is."""
    from qnet.studies import optimal_time

    with pytest.raises(SystemExit) as info:
        optimal_time.main(["--memory", "-1,0,0", "--quick", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and "--memory: rates '-1,0,0' must be finite, >= 0" in err


def test_the_default_folder_is_not_overwritten_by_a_run_with_other_parameters(tmp_path, monkeypatch, capsys):
    from qnet.studies import repeater_schedules

    monkeypatch.chdir(tmp_path)
    repeater_schedules.main(["--quick", "--no-progress"])
    folder = tmp_path / "qnet-results" / "repeater_schedules"
    before = (folder / "symmetric_chain.csv").read_bytes()
    repeater_schedules.main(["--quick", "--no-progress"])  # the same parameters: replaced as before
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        repeater_schedules.main(["--quick", "--no-progress", "--p-swap", "0.5"])
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and "holds a run with other parameters (--p-swap 0.85 -> 0.5)" in err
    assert (folder / "symmetric_chain.csv").read_bytes() == before
    repeater_schedules.main(["--quick", "--no-progress", "--p-swap", "0.5", "--overwrite"])
    assert (folder / "symmetric_chain.csv").read_bytes() != before


def test_help_and_the_gallery_page_show_study_docstrings_without_markup():
    from qnet.studies import _common, gallery

    for name in gallery.study_names():
        module = __import__(f"qnet.studies.{name}", fromlist=["x"])
        text = module.build_parser().format_help() if hasattr(module, "build_parser") else ""
        assert "``" not in text and ":func:`" not in text, name
    assert _common.plain_text("see :func:`qnet.sweep`, ``qnet.work_key`` and :doc:`a page <howto/x>`") == \
        "see qnet.sweep, qnet.work_key and a page"


# ---------------------------------------------------------------- item 15 of the review: free text in CSV files
def test_csv_text_cannot_start_a_formula(tmp_path):
    import csv

    from qnet.studies import _common

    path = _common.write_csv(tmp_path / "t.csv", {"source": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "text"],
                                                  "value": [-1.5, 2.0, -3.0, 4.0, 5.0]})
    _common.publish()  # outputs are staged until the study publishes them
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "text"]
    assert [float(r[1]) for r in rows[1:]] == [-1.5, 2.0, -3.0, 4.0, 5.0]   # numbers stay numbers
