"""Issue 16's targets: batch work at the memory floor, on both cores, and the density-matrix circuit.

Two kinds of rows, each against a reference timed in the same run:

* the public batch functions on 10^6 Bell-diagonal pairs against a plain numpy copy of their input bytes
  (``state.copy()``; ``kept.copy(), sacrificed.copy()`` for two inputs): the memory floor, which a function that
  reads its inputs and writes a fresh output of the same size cannot beat by much;
* the same calls on all numba threads against one thread (``numba.set_num_threads(1)``): the speed-up of the
  row-chunked kernels (``qnet._kernels.map_rows``), whose results are bit for bit those of one thread.

The copies run on one thread (numpy does not split them), so on two cores a function can run below its floor.
"""

from __future__ import annotations

import numba
import numpy as np
from harness import Case

import qnet
from qnet._distil import dm_purify, dm_purify_single

N = 1_000_000
N_DM = 100_000
RATES = qnet.depolarizing_rates(1.0)


def _pairs():
    rng = np.random.default_rng(16)
    return rng.dirichlet(np.ones(4), N), rng.dirichlet(np.ones(4), N)


def _one_state():
    return (_pairs()[0],)


def _random_dms(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(n, 4, 4)) + 1j * rng.normal(size=(n, 4, 4))
    rho = g @ np.conj(np.swapaxes(g, -1, -2))
    return rho / np.trace(rho, axis1=-2, axis2=-1)[:, None, None]


def _dm_pairs():
    return _random_dms(N_DM, 1), _random_dms(N_DM, 2)


def _idle(lam):
    return qnet.idle(lam, RATES, 0.1)


def _purify(lam, mu):
    return qnet.purify(lam, mu, "dejmps", gate_fidelity=0.99)


def _swap(lam, mu):
    return qnet.swap(lam, mu, gate_fidelity=0.99)


def _dm_purify(rho, sigma):
    return dm_purify(rho, sigma, "dejmps", 0.99, 0.01)


def _one_thread(fn):
    """``fn`` on one numba thread (the batch is then never split)."""

    def run(*args):
        before = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return fn(*args)
        finally:
            numba.set_num_threads(before)

    return run


def _copy_one(lam):
    return lam.copy()


def _copy_two(lam, mu):
    return lam.copy(), mu.copy()


# ---------------------------------------------------------------- density-matrix circuit: batch vs single calls
N_SINGLE = 10_000


def _single_calls(protocol: str, f: float, q: float):
    """The single-state path, one call per pair (the issue's baseline for the batched kernel)."""

    def run(rho, sigma):
        for k in range(N_SINGLE):
            dm_purify_single(rho[k], sigma[k], protocol, f, q)

    return run


def _dm_public():
    return _random_dms(N_SINGLE, 3), _random_dms(N_SINGLE, 4)


CASES = [
    Case("qnet.idle, 1e6 BDS, all threads", _one_state, _idle, reference=_copy_one,
         reference_name="numpy copy of the state", ratio_target=1.5,
         note="public API, validation included (fused with the work, one pass); target: at most 1.5x a plain copy"),
    Case("qnet.purify dejmps noisy, 1e6 pairs, all threads", _pairs, _purify, reference=_copy_two,
         reference_name="numpy copy of both inputs", ratio_target=2.0,
         note="public API, validation of both batches included; target: at most 2x the copy floor"),
    Case("qnet.swap noisy, 1e6 pairs, all threads", _pairs, _swap, reference=_copy_two,
         reference_name="numpy copy of both inputs", ratio_target=2.0,
         note="public API, validation of both batches included; target: at most 2x the copy floor"),
    Case("qnet.idle, 1e6 BDS, one thread", _one_state, _one_thread(_idle), reference=_copy_one,
         reference_name="numpy copy of the state", ratio_target=1.5,
         note="the same call on one core, for the record"),
    Case("qnet.purify dejmps noisy, 1e6 pairs, one thread", _pairs, _one_thread(_purify), reference=_copy_two,
         reference_name="numpy copy of both inputs", ratio_target=2.0, note="the same call on one core"),
    Case("qnet.swap noisy, 1e6 pairs, one thread", _pairs, _one_thread(_swap), reference=_copy_two,
         reference_name="numpy copy of both inputs", ratio_target=2.0, note="the same call on one core"),
    Case("speed-up: qnet.idle, 1e6 BDS", _one_state, _idle, reference=_one_thread(_idle),
         reference_name="the same call on one thread", ratio_target=1 / 1.7),
    Case("speed-up: qnet.purify, 1e6 pairs", _pairs, _purify, reference=_one_thread(_purify),
         reference_name="the same call on one thread", ratio_target=1 / 1.7),
    Case("speed-up: qnet.swap, 1e6 pairs", _pairs, _swap, reference=_one_thread(_swap),
         reference_name="the same call on one thread", ratio_target=1 / 1.7),
    Case("speed-up: dm_purify noisy dejmps, 1e5 density matrices", _dm_pairs, _dm_purify,
         reference=_one_thread(_dm_purify), reference_name="the same call on one thread", ratio_target=1 / 1.7,
         repeat=5),
    Case(f"dm_purify batch vs single calls, noiseless cnot, {N_SINGLE} pairs", _dm_public,
         _one_thread(lambda r, s: dm_purify(r, s, "cnot")), reference=_single_calls("cnot", 1.0, 0.0),
         reference_name=f"{N_SINGLE} single-state calls (dm_purify_single)", ratio_target=1 / 5,
         note="one thread; target: the batched kernel at least 5x faster per state than single calls"),
    Case(f"dm_purify batch vs single calls, noisy dejmps, {N_SINGLE} pairs", _dm_public, _one_thread(_dm_purify),
         reference=_single_calls("dejmps", 0.99, 0.01),
         reference_name=f"{N_SINGLE} single-state calls (dm_purify_single)", ratio_target=1 / 5,
         note="one thread; with the pre-rotations of both pairs and gate noise (more work per state, so call "
              "overhead is a smaller share of a single call)"),
    Case(f"qnet.purify, {N_SINGLE} general density matrices (public API)", _dm_public,
         lambda r, s: qnet.purify(r, s, "dejmps", gate_fidelity=0.99), target_s=N_SINGLE * 1e-6,
         note="validation (Hermitian, trace, eigenvalues >= -1e-9) in one compiled pass; target 1 µs per state"),
]
