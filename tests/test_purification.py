"""Tests of qnet.purification: closed forms vs an explicit QuTiP circuit, published values, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

import qnet
from qnet.purification import PROTOCOLS, UNDETECTED
from qnet._distil import bds_purify, dm_purify
from qnet._bell import bds_to_dm, dm_to_bds

RNG = np.random.default_rng(20261127)


# ---------------------------------------------------------------- independent QuTiP reference circuit
def _qt_local(letter: str):
    """Alice's pre-rotation for a letter, built from QuTiP operators."""
    if letter == "z":
        return qutip.qeye(2)
    if letter == "y":
        return (-1j * np.pi / 4 * qutip.sigmax()).expm()  # Rx(pi/2)
    return (qutip.sigmax() + qutip.sigmaz()) / np.sqrt(2)  # Hadamard


def _op4(ops: dict):
    """Operator on 4 qubits (A1, B1, A2, B2) from a {qubit: op} dict (identity elsewhere)."""
    return qutip.tensor([ops.get(i, qutip.qeye(2)) for i in range(4)])


def _cnot(c: int, t: int):
    p0, p1 = qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj()
    return _op4({c: p0}) + _op4({c: p1, t: qutip.sigmax()})


def _depolarize(rho, f, qubits):
    """rho -> f rho + (1-f) I/4 (x) Tr_qubits(rho), QuTiP partial traces and permutes."""
    rest = [i for i in range(4) if i not in qubits]
    mixed = qutip.tensor(qutip.ptrace(rho, rest), qutip.qeye([2, 2]) / 4)
    order = rest + list(qubits)  # current position -> qubit
    mixed = mixed.permute([order.index(i) for i in range(4)])
    return f * rho + (1 - f) * mixed


def qutip_purify(rho1, rho2, protocol, f=1.0, q=0.0, rotate_back=False, fb=None, qb=None):
    """Reference: explicit 4-qubit circuit with QuTiP operators (rho1/rho2 as 4x4 numpy arrays).

    ``f``/``q`` are node A's gate fidelity and measurement flip probability; node B's default to them.
    """
    fb = f if fb is None else fb
    qb = q if qb is None else qb
    dims = [[2, 2], [2, 2]]
    r1, r2 = qutip.Qobj(rho1, dims=dims), qutip.Qobj(rho2, dims=dims)
    if protocol == "bbpssw":
        r1, r2 = (qutip.Qobj(bds_to_dm(qnet.werner_twirl(dm_to_bds(r.full()))), dims=dims) for r in (r1, r2))
        a = b = "z"
    else:
        a, b = UNDETECTED[protocol]
    ua, ub = _qt_local(a), _qt_local(b)
    r1 = qutip.tensor(ua, ua.conj()) * r1 * qutip.tensor(ua, ua.conj()).dag()
    r2 = qutip.tensor(ub, ub.conj()) * r2 * qutip.tensor(ub, ub.conj()).dag()
    rho = qutip.tensor(r1, r2)  # qubits A1, B1, A2, B2
    g = _cnot(0, 2) * _cnot(1, 3)
    rho = g * rho * g.dag()
    rho = _depolarize(rho, f, [0, 2])
    rho = _depolarize(rho, fb, [1, 3])
    out = 0
    for ma in range(2):
        for mb in range(2):
            for ra in range(2):  # reported outcome ra at A, rb at B; keep ra == rb
                rb = ra
                w = (q if ra != ma else 1 - q) * (qb if rb != mb else 1 - qb)
                proj = _op4({2: qutip.basis(2, ma).proj(), 3: qutip.basis(2, mb).proj()})
                out = out + w * qutip.ptrace(proj * rho * proj, [0, 1])
    p = out.tr().real
    out = out / p
    if rotate_back:
        u = qutip.tensor(ua, ua.conj()).dag()
        out = u * out * u.dag()
    return out.full(), p


def random_dm(n: int) -> np.ndarray:
    """Random full-rank two-qubit density matrices (Ginibre)."""
    g = RNG.normal(size=(n, 4, 4)) + 1j * RNG.normal(size=(n, 4, 4))
    rho = g @ np.conj(np.swapaxes(g, -1, -2))
    return rho / np.trace(rho, axis1=-2, axis2=-1)[..., None, None]


# ---------------------------------------------------------------- circuit path against QuTiP
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_circuit_matches_qutip_on_general_states(protocol):
    r1, r2 = random_dm(3), random_dm(3)
    f = np.array([1.0, 0.93, 0.8])
    q = np.array([0.0, 0.02, 0.1])
    for rb in (False, True):
        out, p = qnet.purify(r1, r2, protocol, gate_fidelity=f, measurement_error=q, rotate_back=rb)
        for i in range(3):
            ref, pref = qutip_purify(r1[i], r2[i], protocol, f[i], q[i], rb)
            assert abs(p[i] - pref) <= 1e-10
            assert np.abs(out[i] - ref).max() <= 1e-10


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bds_closed_form_matches_noisy_circuit(protocol):
    lam, mu = RNG.dirichlet(np.ones(4), 40), RNG.dirichlet(np.ones(4), 40)
    f, q = RNG.uniform(0.0, 1.0, 40), RNG.uniform(0.0, 1.0, 40)
    for rb in (False, True):
        a, pa = qnet.purify(lam, mu, protocol, gate_fidelity=f, measurement_error=q, rotate_back=rb)
        b, pb = dm_purify(bds_to_dm(lam), bds_to_dm(mu), protocol, f, q, rotate_back=rb)
        assert np.abs(pa - pb).max() <= 1e-12
        assert np.abs(bds_to_dm(a) - b).max() <= 1e-12  # the circuit output is Bell diagonal too


def test_bds_closed_form_matches_qutip_with_noise():
    lam, mu = RNG.dirichlet(np.ones(4), 4), RNG.dirichlet(np.ones(4), 4)
    for protocol in ("cnot", "dejmps", "mixed_xy"):
        out, p = qnet.purify(lam, mu, protocol, gate_fidelity=0.9, measurement_error=0.05)
        for i in range(4):
            ref, pref = qutip_purify(bds_to_dm(lam[i]), bds_to_dm(mu[i]), protocol, 0.9, 0.05)
            assert abs(p[i] - pref) <= 1e-12
            assert np.abs(bds_to_dm(out[i]) - ref).max() <= 1e-12


@pytest.mark.parametrize("protocol", ["cnot", "dejmps", "mixed_yx"])
def test_unequal_nodes_match_qutip(protocol):
    r1, r2 = random_dm(2), random_dm(2)
    kw = dict(gate_fidelity=0.95, gate_fidelity_b=0.8, measurement_error=0.01, measurement_error_b=0.2)
    out, p = qnet.purify(r1, r2, protocol, **kw)
    lam, mu = RNG.dirichlet(np.ones(4), 2), RNG.dirichlet(np.ones(4), 2)
    bout, bp = qnet.purify(lam, mu, protocol, **kw)
    for i in range(2):
        ref, pref = qutip_purify(r1[i], r2[i], protocol, 0.95, 0.01, fb=0.8, qb=0.2)
        assert abs(p[i] - pref) <= 1e-10 and np.abs(out[i] - ref).max() <= 1e-10
        ref, pref = qutip_purify(bds_to_dm(lam[i]), bds_to_dm(mu[i]), protocol, 0.95, 0.01, fb=0.8, qb=0.2)
        assert abs(bp[i] - pref) <= 1e-12 and np.abs(bds_to_dm(bout[i]) - ref).max() <= 1e-12


# ---------------------------------------------------------------- published / hand-derived values
def test_physics_md_cnot_formula():
    # physics.md §3 written out by hand for λ = [.7, .1, .15, .05], μ = [.6, .2, .1, .1]
    l0, l1, l2, l3 = 0.7, 0.1, 0.15, 0.05
    m0, m1, m2, m3 = 0.6, 0.2, 0.1, 0.1
    N = (l0 + l1) * (m0 + m1) + (l2 + l3) * (m2 + m3)
    ref = np.array([l0 * m0 + l1 * m1, l0 * m1 + l1 * m0, l2 * m2 + l3 * m3, l2 * m3 + l3 * m2]) / N
    out, p = qnet.purify([l0, l1, l2, l3], [m0, m1, m2, m3], "cnot")
    assert abs(p - N) <= 1e-15 and np.abs(out - ref).max() <= 1e-15


def test_bbpssw_werner_recurrence_published_formula():
    # Bennett et al., PRL 76, 722 (1996), Eq. for F':
    # F' = (F^2 + ((1-F)/3)^2) / (F^2 + 2F(1-F)/3 + 5((1-F)/3)^2); F = 3/4 -> 0.569444.../0.722222... = 41/52
    out, p = qnet.purify(qnet.werner(0.75), qnet.werner(0.75), "bbpssw")
    assert abs(out[0] - 41 / 52) <= 1e-15
    assert abs(p - 0.722222222222222222) <= 1e-15  # 52/72 by hand
    F = np.linspace(0.3, 1.0, 15)
    r = (1 - F) / 3
    N = F**2 + 2 * F * r + 5 * r**2
    out, p = qnet.purify(qnet.werner(F), qnet.werner(F), "bbpssw")
    assert np.abs(out[:, 0] - (F**2 + r**2) / N).max() <= 1e-14
    assert np.abs(p - N).max() <= 1e-14


def test_bbpssw_twirls_non_werner_inputs():
    # BBPSSW depolarizes first, so only the input fidelities matter
    a, pa = qnet.purify([0.8, 0.2, 0, 0], [0.7, 0, 0, 0.3], "bbpssw")
    b, pb = qnet.purify(qnet.werner(0.8), qnet.werner(0.7), "bbpssw")
    assert np.abs(a - b).max() <= 1e-15 and abs(pa - pb) <= 1e-15


def test_dejmps_published_map():
    # Deutsch et al., PRL 77, 2818 (1996): with A, B, C, D the coefficients of Φ+, Ψ−, Ψ+, Φ−,
    # A' = (A²+B²)/N, B' = 2CD/N, C' = (C²+D²)/N, D' = 2AB/N, N = (A+B)² + (C+D)²,
    # output written in the rotated frame (B' is the Ψ− slot, D' the Φ− slot).
    A, B, C, D = 0.7, 0.1, 0.12, 0.08  # Φ+, Ψ−, Ψ+, Φ−
    N = (A + B) ** 2 + (C + D) ** 2
    out, p = qnet.purify([A, D, C, B], [A, D, C, B], "dejmps")
    ref = np.array([A * A + B * B, 2 * A * B, C * C + D * D, 2 * C * D]) / N  # [Φ+, Φ−, Ψ+, Ψ−]
    assert abs(p - N) <= 1e-15 and np.abs(out - ref).max() <= 1e-15
    # by hand from the same map for Werner F = 0.7 (A = 0.7, B = C = D = 0.1): A' = 0.5 / 0.68
    out, p = qnet.purify(qnet.werner(0.7), qnet.werner(0.7), "dejmps")
    assert abs(out[0] - 0.5 / 0.68) <= 1e-15


def test_rotate_back_for_dejmps_swaps_phi_minus_and_psi_minus():
    lam, mu = [0.7, 0.08, 0.12, 0.1], [0.6, 0.1, 0.2, 0.1]
    a, _ = qnet.purify(lam, mu, "dejmps")
    b, _ = qnet.purify(lam, mu, "dejmps", rotate_back=True)
    assert np.abs(b - a[[0, 3, 2, 1]]).max() <= 1e-15


# ---------------------------------------------------------------- Pauli truth table
_LETTER_OF_SLOT = {0: "i", 1: "z", 2: "x", 3: "y"}


@pytest.mark.parametrize("protocol", [p for p in PROTOCOLS if p != "bbpssw"])
def test_pauli_error_truth_table(protocol):
    """Every single and double Pauli error: detected (p = 0) exactly as the rule stated by hand."""
    a, b = UNDETECTED[protocol]
    seen = {}
    for e1 in range(4):
        for e2 in range(4):
            lam, mu = np.eye(4)[e1], np.eye(4)[e2]
            _, p = bds_purify(lam, mu, protocol)
            # dm circuit (independent implementation) on the same Pauli-error inputs
            _, pc = dm_purify(bds_to_dm(lam), bds_to_dm(mu), protocol)
            undetected = (_LETTER_OF_SLOT[e1] in ("i", a)) == (_LETTER_OF_SLOT[e2] in ("i", b))
            assert p == pytest.approx(1.0 if undetected else 0.0, abs=1e-15)
            assert pc == pytest.approx(p, abs=1e-14)
            seen[(_LETTER_OF_SLOT[e1], _LETTER_OF_SLOT[e2])] = undetected
    # single errors: only the named letter goes undetected on each pair
    assert [k for k in "xyz" if seen[(k, "i")]] == [a]
    assert [k for k in "xyz" if seen[("i", k)]] == [b]


def test_truth_table_examples_by_hand():
    # cnot: a Z on the kept pair is not seen and flips the output to Φ−; an X is caught.
    out, p = qnet.purify([0, 1, 0, 0], [1, 0, 0, 0], "cnot")
    assert p == 1.0 and out.tolist() == [0.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="success probability 0"):
        qnet.purify([0, 0, 1, 0], [1, 0, 0, 0], "cnot")
    # dejmps: Y undetected, Z caught
    _, p = qnet.purify([0, 0, 0, 1], [1, 0, 0, 0], "dejmps")
    assert p == 1.0
    with pytest.raises(ValueError, match="success probability 0"):
        qnet.purify([0, 1, 0, 0], [1, 0, 0, 0], "dejmps")


# ---------------------------------------------------------------- batching
def test_broadcasting_over_batches():
    lam = RNG.dirichlet(np.ones(4), (3, 1))
    mu = RNG.dirichlet(np.ones(4), (5,))
    f = np.linspace(0.8, 1.0, 5)
    out, p = qnet.purify(lam, mu, "dejmps", gate_fidelity=f)
    assert out.shape == (3, 5, 4) and p.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            o, pp = qnet.purify(lam[i, 0], mu[j], "dejmps", gate_fidelity=f[j])
            assert np.abs(o - out[i, j]).max() <= 1e-15 and abs(pp - p[i, j]) <= 1e-15


def test_mixed_bds_and_density_matrix_inputs_use_circuit():
    lam, rho = qnet.werner(0.9), random_dm(1)[0]
    out, p = qnet.purify(lam, rho, "cnot")
    assert out.shape == (4, 4)
    ref, pref = qutip_purify(bds_to_dm(lam), rho, "cnot")
    assert abs(p - pref) <= 1e-12 and np.abs(out - ref).max() <= 1e-12


def test_noise_limits():
    # f = 0: the 4-qubit state is maximally mixed; outcomes agree with probability 1/2, output is I/4.
    out, p = qnet.purify(qnet.werner(0.9), qnet.werner(0.8), gate_fidelity=0.0)
    assert abs(p - 0.5) <= 1e-15 and np.abs(out - 0.25).max() <= 1e-15
    # q = 1/2: outcomes are random; the kept pair is untouched by the measurement -> output = CNOT-frame marginal
    lam, mu = np.array([0.7, 0.1, 0.15, 0.05]), np.array([0.6, 0.2, 0.1, 0.1])
    out, p = qnet.purify(lam, mu, measurement_error=0.5)
    # kept-pair marginal after the bilateral CNOT: x = x1, z = z1 ^ z2 -> λ convolved with μ's z-marginal
    mz = np.array([mu[0] + mu[2], mu[1] + mu[3]])
    ref = np.array([lam[0] * mz[0] + lam[1] * mz[1], lam[0] * mz[1] + lam[1] * mz[0],
                    lam[2] * mz[0] + lam[3] * mz[1], lam[2] * mz[1] + lam[3] * mz[0]])
    assert abs(p - 0.5) <= 1e-15 and np.abs(out - ref).max() <= 1e-15


def test_internal_zero_probability_rows_are_zero_without_warning():
    out, p = bds_purify(np.array([[0, 0, 1, 0], [1, 0, 0, 0]]), np.array([1.0, 0, 0, 0]))
    assert p.tolist() == [0.0, 1.0]
    assert out[0].tolist() == [0.0] * 4 and out[1].tolist() == [1.0, 0, 0, 0]


# ---------------------------------------------------------------- bad input (one test each)
def test_unknown_protocol_lists_valid_ones():
    with pytest.raises(ValueError, match="valid values are 'cnot', 'dejmps'"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), "dejmsp")


def test_protocol_not_a_string():
    with pytest.raises(TypeError, match="protocol must be a string"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), 3)


def test_mismatched_batch_shapes():
    with pytest.raises(ValueError, match="batch shapes do not broadcast"):
        qnet.purify(qnet.werner([0.9, 0.8]), qnet.werner([0.9, 0.8, 0.7]))


def test_gate_fidelity_above_one():
    with pytest.raises(ValueError, match=r"gate_fidelity must lie in \[0.0, 1.0\], got 1.2"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), gate_fidelity=1.2)


def test_gate_fidelity_negative():
    with pytest.raises(ValueError, match="gate_fidelity must lie in"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), gate_fidelity=-0.1)


def test_node_b_gate_fidelity_outside_unit_interval():
    with pytest.raises(ValueError, match="gate_fidelity_b must lie in"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), gate_fidelity_b=1.01)


def test_node_b_measurement_error_shape_mismatch():
    with pytest.raises(ValueError, match="measurement_error_b batch shape"):
        qnet.purify(qnet.werner([0.9, 0.8]), qnet.werner(0.9), measurement_error_b=[0.1, 0.1, 0.1])


def test_measurement_error_outside_unit_interval():
    with pytest.raises(ValueError, match="measurement_error must lie in"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), measurement_error=1.5)


def test_gate_fidelity_shape_mismatch():
    with pytest.raises(ValueError, match="gate_fidelity batch shape"):
        qnet.purify(qnet.werner([0.9, 0.8]), qnet.werner(0.9), gate_fidelity=[0.9, 0.9, 0.9])


def test_zero_success_probability_says_so():
    with pytest.raises(ValueError, match=r"success probability 0\) at batch index \(1,\)"):
        qnet.purify([[1, 0, 0, 0], [0, 0, 1, 0]], [1, 0, 0, 0], "cnot")


def test_invalid_state():
    with pytest.raises(ValueError, match="kept coefficients must sum to 1"):
        qnet.purify([0.5, 0.1, 0.1, 0.1], qnet.werner(0.9))


def test_rotate_back_not_bool():
    with pytest.raises(TypeError, match="rotate_back must be True or False"):
        qnet.purify(qnet.werner(0.9), qnet.werner(0.9), rotate_back="yes")


def test_extra_x_y_swap_only_exchanges_psi_plus_and_psi_minus():
    # The module docstring's claim that the nine (a, b) variants are all the distinct ones: composing a
    # pair's pre-rotation with an X <-> Y swap keeps p and only exchanges the output's Psi+ and Psi-.
    lam, mu = RNG.dirichlet(np.ones(4), 20), RNG.dirichlet(np.ones(4), 20)
    swap = [0, 1, 3, 2]  # X <-> Y
    perm = {"z": [0, 1, 2, 3], "y": [0, 3, 2, 1], "x": [0, 2, 1, 3]}  # each letter's relabelling (self-inverse)
    for protocol in [p for p in PROTOCOLS if p != "bbpssw"]:
        a, pa = bds_purify(lam, mu, protocol)
        for which, letter in enumerate(UNDETECTED[protocol]):
            # input whose rotation by `letter` equals the original rotated by `letter`, then swapped
            full = [perm[letter][swap[perm[letter][k]]] for k in range(4)]
            l2, m2 = (lam[:, full], mu) if which == 0 else (lam, mu[:, full])
            b, pb = bds_purify(l2, m2, protocol)
            assert np.abs(pa - pb).max() <= 1e-15
            assert np.abs(b[:, [0, 1, 3, 2]] - a).max() <= 1e-15


def test_circuit_matches_qutip_qip_gate_library():
    """Second independent reference: the gates of qutip-qip's library (cnot, rx, snot) instead of hand-built ones."""
    qip = pytest.importorskip("qutip_qip.operations")
    gates = {"z": qutip.qeye(2), "y": qip.rx(np.pi / 2), "x": qip.snot()}
    bilateral = qip.expand_operator(qip.cnot(), dims=[2] * 4, targets=[0, 2]) * qip.expand_operator(
        qip.cnot(), dims=[2] * 4, targets=[1, 3])
    r1, r2 = random_dm(4), random_dm(4)
    for protocol in ("cnot", "dejmps", "hadamard", "mixed_zy", "mixed_xz"):
        a, b = UNDETECTED[protocol]
        out, p = qnet.purify(r1, r2, protocol)
        for i in range(4):
            u1 = qutip.tensor(gates[a], gates[a].conj())
            u2 = qutip.tensor(gates[b], gates[b].conj())
            k1 = u1 * qutip.Qobj(r1[i], dims=[[2, 2], [2, 2]]) * u1.dag()
            k2 = u2 * qutip.Qobj(r2[i], dims=[[2, 2], [2, 2]]) * u2.dag()
            rho = bilateral * qutip.tensor(k1, k2) * bilateral.dag()
            keep = sum(qutip.ptrace(_op4({2: qutip.basis(2, m).proj(), 3: qutip.basis(2, m).proj()}) * rho, [0, 1])
                       for m in range(2))
            pref = keep.tr().real
            assert abs(p[i] - pref) <= 1e-10
            assert np.abs(out[i] - keep.full() / pref).max() <= 1e-10


@pytest.mark.parametrize("which, bad, match", [
    ("kept", (11, 1, -1.0), "kept has negative Bell coefficients: -1.0 at index \\(11, 1\\)"),
    ("sacrificed", (4, 0, float("nan")), "sacrificed must be finite"),
    ("sacrificed", (2, 3, 0.5), "sacrificed coefficients must sum to 1"),
    ("kept", (8, 2, float("inf")), "kept must be finite")])
def test_large_batches_checked_inside_the_kernel_raise_the_validators_messages(which, bad, match):
    """Batches of >= FAST_CHECK_MIN_SIZE entries are checked in the compiled purification's single pass; a bad
    entry gives the numpy validator's message, and valid batches equal the row-by-row results."""
    rng = np.random.default_rng(5)
    lam, mu = rng.dirichlet(np.ones(4), size=(2, 5000))
    out, p = qnet.purify(lam, mu, "dejmps", gate_fidelity=0.97, measurement_error=0.01)
    for i in (0, 1234, 4999):
        o1, p1 = qnet.purify(lam[i], mu[i], "dejmps", gate_fidelity=0.97, measurement_error=0.01)
        np.testing.assert_array_equal(out[i], o1)
        assert p[i] == p1
    arrays = {"kept": lam, "sacrificed": mu}
    i, k, value = bad
    arrays[which][i, k] = value
    with pytest.raises(ValueError, match=match):
        qnet.purify(lam, mu, "dejmps")
