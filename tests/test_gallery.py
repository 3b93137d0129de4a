"""The gallery command finds every study and writes a README that links each figure with its command."""

from __future__ import annotations

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
