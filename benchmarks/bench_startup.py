"""Start-up: whole fresh processes, numba cache warm (the first, untimed run fills it).

Each qnet row is ``python -c "import qnet; <first call>"``; its reference is ``python -c "import qnet"`` in the
same run, so the difference between the two columns is what the first call costs in a fresh process. The
redesign issue's target is a first call of at most 50 ms; numba loads its cached machine code only after
importing its whole typing registry (``numba.core.base.BaseContext.refresh``, which imports ``scipy.linalg``
to check for BLAS), and that happens on the first call of any cached kernel.
"""

from __future__ import annotations

import subprocess
import sys

from harness import Case

_SETUP = "import qnet; w = qnet.werner(0.95); m = qnet.depolarizing_rates(1.0)"
_CALLS = {
    "purify": "qnet.purify(w, w)",
    "idle": "qnet.idle(w, m, 0.1)",
    "chain_delivery": "qnet.chain_delivery(('swap',), 0.5, 1.0, 0.9, 100.0, t_trunc=200)",
    "optimal_purification_time": "qnet.optimal_purification_time(w, w, m, 0.01, 0.1)",
}


def _process(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True)


def _case(name: str, call: str) -> Case:
    return Case(f"fresh process: import qnet + first {name}", lambda: (f"{_SETUP}; {call}",), _process,
                reference=lambda code: _process(_SETUP), reference_name="fresh process: import qnet",
                repeat=3, reference_repeat=3, warmup=1,
                note="the first call costs the difference of the two columns; target ≤ 50 ms (not met: numba's "
                     "registry load on the first cached kernel, see the module docstring)")


CASES = [_case(name, call) for name, call in _CALLS.items()] + [
    Case("fresh process: import qnet", lambda: (_SETUP,), _process, reference=lambda code: _process("import numpy"),
         reference_name="fresh process: import numpy", repeat=3, reference_repeat=3, warmup=1),
]
