"""Benchmarks of the swap-policy solver (issue 30): ``qnet.optimal_swap_policy`` on 5 and 6 nodes with cut-offs
up to 10, and side by side with Iñesta, Vardoyan, Scavuzzo and Wehner's policy iteration when a checkout of
their repository is given (``QNET_INESTA_PATH``, AlvaroGI/optimal-homogeneous-chain: not a PyPI or Debian
package). Their code reads ``np.infty``, an alias numpy 2 removed; the benchmark restores it (as ``np.inf``)
before importing it and changes nothing else. Their expected times are one slot shorter than qnet's (they do not
count the first generation slot); the agreement note compares them with that offset.
"""

from __future__ import annotations

import importlib
import os
import sys

import numpy as np

import qnet
from harness import Case

#: (n_nodes, p_gen, p_swap, cutoff) timed alone; the largest is the issue's "6 nodes, cut-off up to 10".
SIZES = [(5, 0.5, 0.9, 5), (5, 0.5, 0.9, 10), (6, 0.5, 0.9, 5), (6, 0.5, 0.9, 10)]
#: Timed beside the authors' policy iteration (5 nodes with cut-off 2 took them more than 5 minutes here).
PEER_SIZES = [(4, 0.5, 0.8, 2), (4, 0.9, 0.5, 3)]


def _solve(n, p_gen, p_swap, cutoff):
    return qnet.optimal_swap_policy(n, p_gen, p_swap, cutoff)


def _states(case) -> str:
    r = _solve(*case)
    return (f"{r.n_states} states; optimal {r.mean_time:.10g} slots, swap-asap {r.mean_time_of('swap_asap'):.10g}, "
            f"nested {r.mean_time_of('nested'):.10g}")


CASES = []
for _case in SIZES:
    _big = _case[0] == 6 and _case[3] == 10
    CASES.append(Case(f"optimal swap policy, {_case[0]} nodes, p_gen {_case[1]}, p_swap {_case[2]}, cut-off "
                      f"{_case[3]}", lambda c=_case: c, _solve, repeat=1 if _big else 3, warmup=0,
                      note=_states(_case) if not _big else "see the row's time; 364132 states"))


def _inesta(n, p_gen, p_swap, cutoff):
    """Their policy iteration (tolerance 1e-7, as in their notebooks), imported from the checkout."""
    path = os.environ["QNET_INESTA_PATH"]
    if not hasattr(np, "infty"):
        np.infty = np.inf  # type: ignore[attr-defined]  # removed in numpy 2; read by their code
    sys.path.insert(0, path)
    try:
        main = importlib.import_module("main")
    finally:
        sys.path.remove(path)
    return main.policy_iteration(n, p_gen, p_swap, cutoff, tolerance=1e-7, progress=False, savedata=False)


def _agreement(case) -> str:
    _, info, _ = _inesta(*case)
    theirs = -(info[0]["value"] + 1) + 1  # their count plus the first slot
    ours = _solve(*case).mean_time
    return f"optimal expected time: qnet {ours:.10g}, theirs + 1 {theirs:.10g}, relative difference " \
           f"{abs(ours / theirs - 1):.1e} (their tolerance 1e-7)"


if os.environ.get("QNET_INESTA_PATH"):
    for _case in PEER_SIZES:
        CASES.append(Case(f"optimal swap policy, {_case[0]} nodes, cut-off {_case[3]}, vs Iñesta et al.",
                          lambda c=_case: c, _solve, reference=_inesta,
                          reference_name="Iñesta et al.'s policy_iteration (their repository)", repeat=3,
                          reference_repeat=1, warmup=0, note=_agreement(_case)))
else:
    CASES.append(Case("swap policies vs Iñesta et al.: not timed", lambda: PEER_SIZES[0], _solve,
                      note="Iñesta et al.'s code is not a PyPI or Debian package; set QNET_INESTA_PATH to a checkout "
                           "of AlvaroGI/optimal-homogeneous-chain to time its policy iteration beside qnet"))
