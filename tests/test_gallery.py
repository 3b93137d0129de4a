"""The gallery command finds every study and writes a README that links each figure with its command."""

from __future__ import annotations

from pathlib import Path

import pytest

from qnet.studies import gallery


def test_finds_the_studies():
    names = gallery.study_names()
    assert "optimal_time" in names and "gallery" not in names


def test_readme_links_figures_and_commands(tmp_path):
    folder = tmp_path / "optimal_time"
    folder.mkdir()
    for name in ("panel.png", "panel.pdf", "panel.csv", "optimal_time.json"):
        (folder / name).write_bytes(b"x")
    text = gallery.write_readme(tmp_path, ["optimal_time"], quick=False).read_text()
    assert "python -m qnet.studies.optimal_time --out studies/optimal_time" in text
    assert "![panel](optimal_time/panel.png)" in text
    assert "[PDF](optimal_time/panel.pdf)" in text and "[data](optimal_time/panel.csv)" in text
    assert "[optimal_time.json](optimal_time/optimal_time.json)" in text


def test_compare_finds_a_changed_number_and_ignores_the_environment(tmp_path):
    import json

    old, new = tmp_path / "old", tmp_path / "new"
    for folder, value, env in ((old, 0.25, "a"), (new, 0.25 + 1e-12, "b")):
        folder.mkdir()
        (folder / "t.csv").write_text(f"x,label\n{value!r},cnot\n")
        (folder / "s.json").write_text(json.dumps({"environment": {"qnet_source": env}, "headline": [value, "tie"]}))
    n, diffs = gallery.compare(new, old)
    assert n == 2 and diffs == []  # within CHECK_RTOL, environment not compared
    (new / "t.csv").write_text("x,label\n0.2501,cnot\n")
    (new / "s.json").write_text(json.dumps({"environment": {}, "headline": [0.25, "winner"]}))
    n, diffs = gallery.compare(new, old)
    assert len(diffs) == 2 and any("t.csv line 2 x" in d for d in diffs) and any("/headline[1]" in d for d in diffs)


@pytest.mark.slow
@pytest.mark.parametrize("name", gallery.study_names())
def test_the_committed_gallery_is_what_the_code_makes(name, capsys):
    """``python -m qnet.studies.gallery --check``, study by study: every number of the committed data is what a
    rerun of the study (full, the gallery's own command) computes now."""
    root = Path(__file__).resolve().parents[1] / "studies"
    code = gallery.check(root, [name])
    assert code == 0, capsys.readouterr().out
