"""Property tests of qnet.purification over hypothesis-generated states (edges, vertices, near-pure states)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import bds_states, density_matrices
from hypothesis import given
from hypothesis import strategies as st

import qnet
from qnet.purification import PROTOCOLS
from qnet._distil import bds_purify, dm_purify
from qnet._bell import bds_to_dm, dm_to_bds

noise = st.tuples(st.sampled_from([1.0, 0.0, 0.5]) | st.floats(0.0, 1.0),
                  st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 1.0))


@given(bds_states(), bds_states(), st.sampled_from(PROTOCOLS), noise, st.booleans())
def test_output_is_a_state_and_matches_the_circuit(lam, mu, protocol, fq, rotate_back):
    f, q = fq
    out, p = bds_purify(lam, mu, protocol, f, q, rotate_back=rotate_back)
    rho, pc = dm_purify(bds_to_dm(lam), bds_to_dm(mu), protocol, f, q, rotate_back=rotate_back)
    assert 0.0 <= p <= 1.0 + 1e-15
    assert abs(p - pc) <= 1e-12
    if p > 0:
        assert abs(out.sum() - 1.0) <= 1e-12 and out.min() >= 0.0
        assert np.abs(bds_to_dm(out) - rho).max() <= 1e-12
    else:
        assert not out.any() and not rho.any()


@given(bds_states(), bds_states())
def test_noiseless_cnot_is_symmetric_in_its_inputs(lam, mu):
    # physics.md §3: the noiseless formula is symmetric under kept <-> sacrificed
    a, pa = bds_purify(lam, mu, "cnot")
    b, pb = bds_purify(mu, lam, "cnot")
    assert abs(pa - pb) <= 1e-15 and np.abs(a - b).max() <= 1e-15


@given(bds_states(), st.sampled_from(PROTOCOLS), noise)
def test_success_probability_for_a_perfect_sacrificed_pair(lam, protocol, fq):
    # A perfect Φ+ target: the true parity is that of the kept pair's bit-flip part (after its
    # rotation); derived by hand, p = F[(1-e) P(undetected class) + e P(detected class)] + (1-F)/2.
    f, q = fq
    _, p = bds_purify(lam, np.array([1.0, 0, 0, 0]), protocol, f, q)
    if protocol == "bbpssw":
        stay = lam[0] + (1 - lam[0]) / 3
    else:
        a = qnet.UNDETECTED[protocol][0]
        stay = lam[0] + lam[{"z": 1, "x": 2, "y": 3}[a]]
    F, e = f * f, 2 * q * (1 - q)
    assert abs(p - (F * ((1 - e) * stay + e * (1 - stay)) + (1 - F) / 2)) <= 1e-14


@given(density_matrices(), density_matrices(), st.sampled_from(PROTOCOLS), noise)
def test_circuit_output_is_a_density_matrix(r1, r2, protocol, fq):
    f, q = fq
    out, p = dm_purify(r1, r2, protocol, f, q)
    if p > 1e-12:
        assert abs(np.trace(out) - 1) <= 1e-12
        assert np.abs(out - out.conj().T).max() <= 1e-12
        assert np.linalg.eigvalsh(out).min() >= -1e-10
        # fidelity does not depend on the frame of the output
        back, _ = dm_purify(r1, r2, protocol, f, q, rotate_back=True)
        assert abs(dm_to_bds(back)[0] - dm_to_bds(out)[0]) <= 1e-12


@pytest.mark.parametrize("protocol", ["cnot", "dejmps", "hadamard"])
def test_perfect_inputs_stay_perfect(protocol):
    out, p = qnet.purify(qnet.bell_state("Phi+"), qnet.bell_state("Phi+"), protocol)
    assert p == 1.0 and out.tolist() == [1.0, 0.0, 0.0, 0.0]
