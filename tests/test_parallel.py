"""Batch kernels: on all cores (bit-for-bit the results of one thread, the same errors, any chunking), each input
validated once, each kernel compiled once.

The row kernels run through ``qnet._kernels.map_rows``, one contiguous chunk per numba thread. Each case
compares a batch large enough to be split with the same call on one thread (``numba.set_num_threads(1)``) and
with row-by-row (or small-batch) calls, which never split. Also the compiled density-matrix check against the
numpy eigenvalue test it replaces.
"""

from __future__ import annotations

import ast
import subprocess
import sys

import numba
import numpy as np
import pytest

import qnet
from qnet import _validation as _v
from qnet._kernels import DM_PARALLEL_MIN_ROWS, PARALLEL_MIN_ROWS, map_rows
from qnet._kernels.validation import dm_check

RNG = np.random.default_rng(2026)
N = PARALLEL_MIN_ROWS + 3  # large enough to split, and not a multiple of the thread count
LAM = RNG.dirichlet(np.ones(4), N)
MU = RNG.dirichlet(np.ones(4), N)
THREADS = numba.config.NUMBA_NUM_THREADS
needs_two = pytest.mark.skipif(THREADS < 2, reason="one numba thread on this machine: nothing to split")


def _random_dm(n: int, rank: int = 4) -> np.ndarray:
    g = RNG.normal(size=(n, 4, rank)) + 1j * RNG.normal(size=(n, 4, rank))
    r = g @ np.conj(np.swapaxes(g, -1, -2))
    return r / np.trace(r, axis1=-2, axis2=-1)[:, None, None]


def _on_threads(k: int, fn):
    before = numba.get_num_threads()
    numba.set_num_threads(k)
    try:
        return fn()
    finally:
        numba.set_num_threads(before)


def _same_bits(a, b) -> None:
    for x, y in zip(a, b):
        assert np.array_equal(np.asarray(x), np.asarray(y))


T = RNG.random(N)
RHO = _random_dm(2 * DM_PARALLEL_MIN_ROWS + 1)
SIGMA = _random_dm(2 * DM_PARALLEL_MIN_ROWS + 1, rank=2)
CASES = {
    "idle, one time": lambda: (qnet.idle(LAM, qnet.dephasing_rates(3.0), 0.1),),
    "idle, a time per state": lambda: (qnet.idle(LAM, qnet.PauliMemory(1.0, 2.0, 3.0), T, t_b=T / 2),),
    "purify, scalar noise": lambda: tuple(qnet.purify(LAM, MU, "dejmps", gate_fidelity=0.98,
                                                      measurement_error=0.01)),
    "purify, noise per row": lambda: tuple(qnet.purify(LAM, MU, "bbpssw", gate_fidelity=0.9 + 0.1 * T)),
    "purify, broadcast kept": lambda: tuple(qnet.purify(LAM[0], MU, "cnot")),
    "swap, one noise row": lambda: tuple(qnet.swap(LAM, MU, gate_fidelity=0.97, measurement_error=0.02)),
    "swap, noise per row": lambda: tuple(qnet.swap(LAM, MU, gate_fidelity=0.9 + 0.1 * T)),
    "purify, density matrices": lambda: tuple(qnet.purify(RHO, SIGMA, "dejmps", gate_fidelity=0.95,
                                                          rotate_back=True)),
    "swap, density matrices": lambda: tuple(qnet.swap(RHO, SIGMA, gate_fidelity=0.95)),
}


@needs_two
@pytest.mark.parametrize("case", list(CASES))
def test_all_threads_give_the_bits_of_one(case):
    _same_bits(_on_threads(2, CASES[case]), _on_threads(1, CASES[case]))


@needs_two
def test_large_batches_equal_small_unsplit_calls():
    idx = np.r_[0:5, N // 2 - 2:N // 2 + 3, N - 5:N]  # rows on both sides of every chunk boundary
    out, p = _on_threads(2, lambda: qnet.purify(LAM, MU, "dejmps", gate_fidelity=0.99))
    small_out, small_p = qnet.purify(LAM[idx], MU[idx], "dejmps", gate_fidelity=0.99)
    assert np.array_equal(out[idx], small_out) and np.array_equal(p[idx], small_p)
    swapped = _on_threads(2, lambda: qnet.swap(LAM, MU)).state
    assert np.array_equal(swapped[idx], qnet.swap(LAM[idx], MU[idx]).state)


@needs_two
@pytest.mark.parametrize("where", [0, N // 2 + 1, N - 1])
def test_a_bad_row_in_any_chunk_raises_the_validator_message(where):
    bad = LAM.copy()
    bad[where] = [0.5, 0.5, 0.5, -0.5]
    with pytest.raises(ValueError, match=rf"kept has negative Bell coefficients: .* at index \({where}, 3\)"):
        _on_threads(2, lambda: qnet.purify(bad, MU))
    with pytest.raises(ValueError, match=rf"left has negative Bell coefficients: .* at index \({where}, 3\)"):
        _on_threads(2, lambda: qnet.swap(bad, MU))
    with pytest.raises(ValueError, match=rf"state has negative Bell coefficients: .* at index \({where}, 3\)"):
        _on_threads(2, lambda: qnet.idle(bad, qnet.depolarizing_rates(1.0), 0.1))


def test_map_rows_chunks_cover_every_row_once():
    seen = np.zeros(N, dtype=np.int64)

    def mark(rows, shared):
        rows += shared[0]
        return rows.shape[0]

    sizes = _on_threads(min(2, THREADS), lambda: map_rows(mark, N, (seen, np.ones(1, dtype=np.int64)), (0, 1)))
    assert sum(sizes) == N and len(sizes) == min(2, THREADS)
    assert (seen == 1).all()
    assert map_rows(mark, 10, (seen[:10], np.ones(1, dtype=np.int64)), (0, 1)) == [10]  # small: not split


# ---------------------------------------------------------------- compiled density-matrix check
@pytest.mark.parametrize("rank", [1, 2, 4])
def test_dm_check_returns_numpy_hermitian_part(rank):
    rho = _random_dm(2000, rank) + 1e-11 * (RNG.normal(size=(2000, 4, 4)) + 1j * RNG.normal(size=(2000, 4, 4)))
    rho = rho / np.trace(rho, axis1=-2, axis2=-1).real[:, None, None]
    herm = _v.density_matrix(rho)
    assert np.array_equal(herm, 0.5 * (rho + np.conj(np.swapaxes(rho, -1, -2))))


@pytest.mark.parametrize("eps", [0.5e-9, 0.99e-9, 1.01e-9, 2e-9, 0.3])
def test_dm_check_psd_threshold_agrees_with_eigvalsh(eps):
    """(1 + eps)|psi><psi| - eps|phi><phi| (phi orthogonal to psi) has trace 1 and smallest eigenvalue -eps."""
    n = 500
    psi = RNG.normal(size=(n, 4)) + 1j * RNG.normal(size=(n, 4))
    psi /= np.linalg.norm(psi, axis=1)[:, None]
    g = RNG.normal(size=(n, 4)) + 1j * RNG.normal(size=(n, 4))
    phi = g - np.einsum("ni,ni->n", np.conj(psi), g)[:, None] * psi
    phi /= np.linalg.norm(phi, axis=1)[:, None]
    rho = (1 + eps) * np.einsum("ni,nj->nij", psi, np.conj(psi)) - eps * np.einsum("ni,nj->nij", phi, np.conj(phi))
    herm = np.empty_like(rho)
    kernel_bad = np.array([dm_check(rho[k:k + 1], herm[k:k + 1], _v.HERMITIAN_ATOL, _v.TRACE_ATOL) >= 0
                           for k in range(n)])
    numpy_bad = np.linalg.eigvalsh(0.5 * (rho + np.conj(np.swapaxes(rho, -1, -2))))[:, 0] < -_v.HERMITIAN_ATOL
    assert np.array_equal(kernel_bad, numpy_bad)
    assert kernel_bad.all() == (eps > _v.HERMITIAN_ATOL)


@pytest.mark.parametrize("spoil, message", [
    (lambda r: r.__setitem__((7, 1, 2), np.nan), r"rho must be finite, got non-finite entries in matrix False at "
                                                 r"index \(7,\)"),
    (lambda r: r.__setitem__((7, 0, 1), r[7, 0, 1] + 0.1), r"rho must be Hermitian"),
    (lambda r: r.__setitem__((7, 0, 0), r[7, 0, 0] + 0.1), r"rho must have trace 1 .* at index \(7,\)"),
])
def test_dm_check_failures_raise_the_numpy_messages(spoil, message):
    rho = _random_dm(10)
    spoil(rho)
    with pytest.raises(ValueError, match=message):
        _v.density_matrix(rho)


# ---------------------------------------------------------------- one compiled version per kernel
_SIGNATURES = r"""
import numpy as np, qnet
from qnet._kernels import channels, purification, swapping, validation
rng = np.random.default_rng(0)
lam = rng.dirichlet(np.ones(4), 5000)
views = [lam, lam[::2], np.broadcast_to(lam[0], (4096, 4)), lam.copy(order="F"), lam[:3].tolist()]
ro = lam.copy(); ro.flags.writeable = False
views.append(ro)
for x in views:
    qnet.idle(x, qnet.dephasing_rates(1.0), 0.1)
    qnet.idle(x, qnet.PauliMemory(1.0, 2.0, 3.0), np.linspace(0, 1, len(x)))
    qnet.purify(x, x, "dejmps", gate_fidelity=0.99)
    qnet.purify(x, x, "bbpssw", gate_fidelity=np.full(len(x), 0.98))
    qnet.swap(x, x, gate_fidelity=0.99)
    rho = qnet.to_density_matrix(np.asarray(x)[:50])
    qnet.purify(rho, rho, "dejmps", gate_fidelity=0.9, rotate_back=True)
    qnet.purify(rho[::2], rho[1::2])
    qnet.swap(rho, rho)
kernels = [channels.idle_exponents, channels.bds_scale_wht, channels.bds_scale_wht_checked,
           purification.bds_purify_scalar, purification.bds_purify_rows, purification.dm_purify_rows,
           swapping.swap_bds_kernel, swapping.swap_dm_kernel, validation.dm_check]
print({k.__name__: len(k.signatures) for k in kernels})
"""


def test_each_batch_kernel_compiles_once_whatever_the_input_arrays():
    """Fresh, strided, broadcast, Fortran-ordered, read-only and list inputs reach every kernel as the same array
    types (numba compiles one version per argument type; each extra version costs seconds on a cold cache)."""
    out = subprocess.run([sys.executable, "-c", _SIGNATURES], capture_output=True, text=True, check=True).stdout
    counts = ast.literal_eval(out.strip().splitlines()[-1])
    assert counts == dict.fromkeys(counts, 1), counts


# ---------------------------------------------------------------- inside the user's own executors
def _purify_rows(n: int) -> np.ndarray:
    return qnet.purify(LAM[:n], MU[:n], "dejmps", gate_fidelity=0.99).state


@needs_two
def test_concurrent_callers_share_the_row_threads():
    """Several user threads splitting large batches at once: no deadlock, each gets its own bit-exact result."""
    from concurrent.futures import ThreadPoolExecutor

    expected = _on_threads(1, lambda: _purify_rows(N))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_purify_rows, [N] * 4))
    for r in results:
        assert np.array_equal(r, expected)


@needs_two
def test_forked_workers_start_their_own_row_threads():
    """A process forked after the parent started its row threads has none of them; it must not wait on them."""
    import multiprocessing

    expected = _purify_rows(N)  # the parent's row threads exist from here on
    pool = multiprocessing.get_context("fork").Pool(2)
    try:
        results = pool.map_async(_purify_rows, [N, N]).get(timeout=60)  # a hang fails here, after 60 s
    finally:
        pool.terminate()
    for r in results:
        assert np.array_equal(r, expected)


# ---------------------------------------------------------------- each input validated once
@pytest.mark.parametrize("size", [3, PARALLEL_MIN_ROWS])
def test_states_are_validated_once_on_their_way_down(monkeypatch, size):
    """Small inputs are validated once by numpy at the boundary; large float64 Bell-diagonal batches not at all
    by numpy (the kernel checks them in its pass). ``purification_gain`` hands its read inputs to the purification
    instead of validating them again in ``purify``."""
    seen = []
    state = _v.state

    def counting(value, name, form="auto"):
        seen.append(name)
        return state(value, name, form)

    monkeypatch.setattr(_v, "state", counting)
    kept, sac = LAM[:size], MU[:size]
    expected = {"kept": 0, "sacrificed": 0} if size >= _v.FAST_CHECK_MIN_SIZE // 4 else {"kept": 1, "sacrificed": 1}
    for call in (lambda: qnet.purify(kept, sac, "dejmps"),
                 lambda: qnet.purification_gain(kept, sac, "dejmps", fom="fidelity", baseline="worse")):
        seen.clear()
        call()
        assert {k: seen.count(k) for k in expected} == expected
    seen.clear()
    qnet.swap(kept, sac)
    assert {k: seen.count(k) for k in ("left", "right")} == {"left": expected["kept"], "right": expected["kept"]}
