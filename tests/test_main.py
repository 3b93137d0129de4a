"""``python -m qnet`` prints its demonstration table."""

import subprocess
import sys


def test_demo_table_runs():
    res = subprocess.run([sys.executable, "-m", "qnet"], capture_output=True, text=True, check=True)
    lines = res.stdout.splitlines()
    assert "when to purify" in lines[0]
    assert any(line.startswith("dephasing") and "start" in line for line in lines)
    assert any(line.startswith("bit flip") and "end" in line for line in lines)
