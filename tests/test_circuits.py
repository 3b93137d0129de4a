"""Distillation circuits of k pairs (qnet.circuits): the Pauli-frame map against the density-matrix circuit, QuTiP,
qnet.purify and closed forms; the library's structure; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from qutip.core import gates

import qnet

NOISE_A = qnet.OperationNoise(0.97, 0.02)
NOISE_B = qnet.OperationNoise(0.95, 0.01)


def _dirichlet(rng, n, conc=1.0):
    return rng.dirichlet(np.full(4, conc), n)


def _random_dm(rng, n):
    G = rng.normal(size=(n, 4, 4)) + 1j * rng.normal(size=(n, 4, 4))
    rho = G @ G.conj().transpose(0, 2, 1)
    return rho / np.trace(rho, axis1=1, axis2=2)[:, None, None]


@pytest.mark.parametrize("name", qnet.PROTOCOLS)
def test_two_pair_circuits_are_purify(name):
    """Each variant of qnet.purify, written as a circuit, gives purify's output (its closed-form kernel) to 1e-14,
    with different noise at the two nodes, on Bell-diagonal inputs and on general density matrices (purify's
    explicit 4-qubit kernel)."""
    rng = np.random.default_rng(7)
    lam, mu = _dirichlet(rng, 500), _dirichlet(rng, 500)
    got = qnet.circuit(name).apply(lam, mu, noise=NOISE_A, noise_b=NOISE_B)
    want = qnet.purify(lam, mu, name, noise=NOISE_A, noise_b=NOISE_B)
    np.testing.assert_allclose(got.state, want.state, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got.p_success, want.p_success, rtol=0, atol=1e-14)
    r1, r2 = _random_dm(rng, 8), _random_dm(rng, 8)
    got = qnet.circuit(name).apply(r1, r2, noise=NOISE_A, noise_b=NOISE_B)
    want = qnet.purify(r1, r2, name, noise=NOISE_A, noise_b=NOISE_B)
    np.testing.assert_allclose(got.state, want.state, rtol=0, atol=1e-13)
    np.testing.assert_allclose(got.p_success, want.p_success, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", ["double_selection", "expedient", "stringent"])
def test_frame_map_equals_density_matrix_circuit(name):
    """The Bell-diagonal map (Pauli-frame propagation) and the explicit density-matrix circuit (unitaries, channels,
    projectors) agree to 1e-13 on random Bell-diagonal inputs with noisy, different nodes."""
    c = qnet.circuit(name)
    rng = np.random.default_rng(11)
    pairs = [_dirichlet(rng, 2, conc=4.0) for _ in range(c.arity)]
    bds = c.apply(*pairs, noise=NOISE_A, noise_b=NOISE_B)
    dm = c.apply(*[qnet.to_density_matrix(x) for x in pairs], noise=NOISE_A, noise_b=NOISE_B)
    np.testing.assert_allclose(dm.state, qnet.to_density_matrix(bds.state), rtol=0, atol=1e-13)
    np.testing.assert_allclose(dm.p_success, bds.p_success, rtol=1e-12, atol=0)


# ---------------------------------------------------------------- an explicit QuTiP construction
_BELL = {0: "00", 1: "01", 2: "10", 3: "11"}  # qutip.bell_state labels of Φ+, Φ−, Ψ+, Ψ−


def _qutip_bds(lam):
    return sum(p * qutip.ket2dm(qutip.bell_state(_BELL[i])) for i, p in enumerate(lam))


def _qutip_depolarize(rho, f, qs, n):
    keep = [q for q in range(n) if q not in qs]
    mixed = qutip.tensor(rho.ptrace(keep), qutip.qeye([2] * len(qs)) / 2 ** len(qs))
    order = keep + list(qs)
    return f * rho + (1 - f) * mixed.permute([order.index(q) for q in range(n)])


def _qutip_measure(rho, qa, qb, proj, qa_err, qb_err, n):
    """Keep agreeing reports of the projective measurement ``proj[outcome]`` on qubits qa and qb, trace both out."""
    out = 0
    for a in range(2):
        for b in range(2):
            w = (1 - qa_err) * (1 - qb_err) + qa_err * qb_err if a == b else qa_err * (1 - qb_err) + (1 - qa_err) * qb_err
            ops = [qutip.qeye(2)] * n
            ops[qa], ops[qb] = proj[a], proj[b]
            P = qutip.tensor(ops)
            out = out + w * (P * rho * P)
    return out.ptrace([q for q in range(n) if q not in (qa, qb)])


def _on(op, n, targets):
    return qutip.expand_operator(op, dims=[2] * n, targets=targets)


def _x_controlled_z(n, control, target):
    """X-basis control: Hadamards around a controlled-Z."""
    h = _on(gates.snot(), n, [control])
    return h * _on(gates.csign(), n, [control, target]) * h


def _qutip_double_selection(lams, fa, qa, fb, qb):
    """Fujii-Yamamoto double selection on qubits (A0, B0, A1, B1, A2, B2) written out in QuTiP: CNOT from pair 1 to
    the kept pair, the X-controlled Z from pair 2 onto pair 1, X checks on pair 1, Z checks on pair 2."""
    n = 6
    rho = qutip.tensor([_qutip_bds(lam) for lam in lams])
    for side, f in ((0, fa), (1, fb)):
        cnot = _on(gates.cnot(), n, [2 + side, side])  # control, target
        rho = cnot * rho * cnot.dag()
        rho = _qutip_depolarize(rho, f, [2 + side, side], n)
    for side, f in ((0, fa), (1, fb)):
        U = _x_controlled_z(n, 4 + side, 2 + side)
        rho = U * rho * U.dag()
        rho = _qutip_depolarize(rho, f, [4 + side, 2 + side], n)
    plus, minus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit(), (qutip.basis(2, 0) - qutip.basis(2, 1)).unit()
    x_proj = [qutip.ket2dm(plus), qutip.ket2dm(minus)]
    z_proj = [qutip.ket2dm(qutip.basis(2, 0)), qutip.ket2dm(qutip.basis(2, 1))]
    rho = _qutip_measure(rho, 2, 3, x_proj, qa, qb, n)  # qubits now (A0, B0, A2, B2)
    rho = _qutip_measure(rho, 2, 3, z_proj, qa, qb, 4)
    return rho.full()


def test_double_selection_against_qutip():
    """The density-matrix circuit and the Bell-diagonal map against the circuit built gate by gate with QuTiP's
    gates, partial traces and projectors: 1e-13."""
    rng = np.random.default_rng(3)
    lams = [_dirichlet(rng, 1, conc=3.0)[0] for _ in range(3)]
    raw = _qutip_double_selection(lams, 0.96, 0.03, 0.93, 0.01)
    p_ref = np.trace(raw).real
    ref = raw / p_ref
    a, b = qnet.OperationNoise(0.96, 0.03), qnet.OperationNoise(0.93, 0.01)
    c = qnet.circuit("double_selection")
    dm = c.apply(*[qnet.to_density_matrix(x) for x in lams], noise=a, noise_b=b)
    bds = c.apply(*lams, noise=a, noise_b=b)
    np.testing.assert_allclose(dm.state, ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(qnet.to_density_matrix(bds.state), ref, rtol=0, atol=1e-13)
    assert abs(float(dm.p_success) - p_ref) < 1e-13 and abs(float(bds.p_success) - p_ref) < 1e-13


# ---------------------------------------------------------------- closed forms and structure
def test_dejmps_closed_form():
    """DEJMPS (Deutsch et al. 1996): with A, B, C, D the Φ+, Ψ−, Ψ+, Φ− coefficients, the output in our slot order
    (the circuit's rotated frame) is [A² + B², 2AB, C² + D², 2CD] / N, N = (A + B)² + (C + D)², for equal ideal
    inputs."""
    lam = np.array([0.7, 0.1, 0.15, 0.05])
    A, B, C, D = lam[0], lam[3], lam[2], lam[1]
    N = (A + B) ** 2 + (C + D) ** 2
    out, p = qnet.circuit("dejmps").apply(lam, lam)
    np.testing.assert_allclose(out, [(A**2 + B**2) / N, 2 * A * B / N, (C**2 + D**2) / N, 2 * C * D / N],
                               rtol=0, atol=1e-15)
    assert abs(float(p) - N) < 1e-15


def test_bbpssw_closed_form():
    """BBPSSW on Werner inputs: F' = (F² + (1-F)²/9) / (F² + 2F(1-F)/3 + 5(1-F)²/9)."""
    F = np.linspace(0.3, 1.0, 15)
    out, p = qnet.circuit("bbpssw").apply(qnet.werner(F), qnet.werner(F))
    N = F**2 + 2 * F * (1 - F) / 3 + 5 * (1 - F) ** 2 / 9
    np.testing.assert_allclose(out[:, 0], (F**2 + (1 - F) ** 2 / 9) / N, rtol=0, atol=1e-15)
    np.testing.assert_allclose(p, N, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", sorted(qnet.CIRCUITS))
def test_perfect_pairs_pass_with_certainty(name):
    c = qnet.circuit(name)
    out, p = c.apply(*[[1.0, 0, 0, 0]] * c.arity)
    np.testing.assert_allclose(out, [1, 0, 0, 0], atol=1e-15)
    assert abs(float(p) - 1.0) < 1e-15


def test_arity_and_steps():
    """Arities from the definitions of QuantumSavory.jl's CircuitZoo: Purify3to1 on 6 qubits, PurifyExpedient on 22,
    PurifyStringent on 26; heads and bodies as steps."""
    assert [len(qnet.circuit(n).steps) for n in ("double_selection", "expedient", "stringent")] == [1, 4, 4]
    assert [qnet.circuit(n).arity for n in ("double_selection", "expedient", "stringent")] == [3, 11, 13]
    assert all(qnet.circuit(n).arity == 2 for n in qnet.PROTOCOLS)


def test_double_selection_checks_the_checking_pair():
    """An X error on the first auxiliary pair (which checks the kept pair's Z errors in the X basis) is caught by
    the second pair; a Z error on the kept pair is caught by the first; an X error on the kept pair is not (it is
    what the circuit leaves out)."""
    c, ok, x_err, z_err = qnet.circuit("double_selection"), [1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, 1.0, 0, 0]
    assert float(c.acceptance(ok, x_err, ok)) == 0.0
    assert float(c.acceptance(z_err, ok, ok)) == 0.0
    assert float(c.acceptance(x_err, ok, ok)) == 1.0


def test_transfer_is_the_multilinear_map():
    """apply() on Bell-diagonal inputs is the contraction of transfer() with the inputs."""
    c = qnet.circuit("double_selection")
    rng = np.random.default_rng(5)
    lams = [_dirichlet(rng, 1)[0] for _ in range(3)]
    T = c.transfer(NOISE_A, NOISE_B)
    raw = np.einsum("sabc,a,b,c->s", T, *lams)
    out, p = c.apply(*lams, noise=NOISE_A, noise_b=NOISE_B)
    np.testing.assert_allclose(raw, out * p, rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="4 steps; transfer"):
        qnet.circuit("expedient").transfer()


def test_sequence_is_pumping_by_hand():
    """Two DEJMPS steps, each with a fresh pair, are purify applied twice; success probabilities multiply."""
    rng = np.random.default_rng(9)
    a, b, c = (_dirichlet(rng, 50) for _ in range(3))
    twice = qnet.Circuit.sequence([qnet.circuit("dejmps")] * 2, name="twice")
    got = twice.apply(a, b, c, noise=NOISE_A)
    first = qnet.purify(a, b, "dejmps", noise=NOISE_A)
    second = qnet.purify(first.state, c, "dejmps", noise=NOISE_A)
    np.testing.assert_allclose(got.state, second.state, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got.p_success, first.p_success * second.p_success, rtol=0, atol=1e-15)


def test_noise_per_row_equals_row_by_row():
    rng = np.random.default_rng(13)
    lams = [_dirichlet(rng, 6) for _ in range(3)]
    f = np.array([1.0, 0.9, 0.95, 0.9, 1.0, 0.8])
    q = np.array([0.0, 0.01, 0.0, 0.01, 0.05, 0.0])
    c = qnet.circuit("double_selection")
    got = c.apply(*lams, noise=qnet.OperationNoise(f, q))
    for i in range(6):
        row = c.apply(*[x[i] for x in lams], noise=qnet.OperationNoise(f[i], q[i]))
        np.testing.assert_allclose(got.state[i], row.state, rtol=0, atol=1e-15)
        assert abs(got.p_success[i] - row.p_success) < 1e-15


def test_batches_broadcast():
    c = qnet.circuit("double_selection")
    out, p = c.apply(qnet.werner(np.array([0.8, 0.9])), qnet.werner(0.85), qnet.werner(np.array([[0.7], [0.95]])))
    assert out.shape == (2, 2, 4) and p.shape == (2, 2)
    ref = c.apply(qnet.werner(0.9), qnet.werner(0.85), qnet.werner(0.7))
    np.testing.assert_allclose(out[0, 1], ref.state, atol=1e-15)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("ops, match", [
    ([("gate", "CNOT", 0, 1)], "pairs \\[1\\] are not"),
    ([("gate", "CNOT", 0, 0), ("measure", 1, "Z")], "two different pairs"),
    ([("gate", "SWAP", 0, 1), ("measure", 1, "Z")], "unknown ops.0. gate .SWAP."),
    ([("gate", "CNOT", 0, 1), ("measure", 1, "W")], "measurement basis .W."),
    ([("measure", 1, "Z"), ("gate", "CNOT", 0, 1)], "measured before"),
    ([("gate", "CNOT", 0, 1), ("measure", 0, "Z"), ("measure", 1, "Z")], "the kept pair"),
    ([("gate", "CNOT", 0, 4), ("measure", 4, "Z")], "pairs \\[1, 2, 3\\] are not"),
    ([("gate", "CNOT", 0, 5)] + [("measure", j, "Z") for j in range(1, 6)], "MAX_STEP_PAIRS"),
    ([("gate", "CNOT", 0, -1), ("measure", -1, "Z")], "integers >= 0"),
    ([("local", 0)], "must have the form"),
    ([("spin", 0)], "starting with one of"),
    ([], "non-empty"),
])
def test_bad_ops_are_named(ops, match):
    with pytest.raises(ValueError, match=match):
        qnet.Circuit(ops)


def test_bad_calls_are_named():
    c = qnet.circuit("double_selection")
    with pytest.raises(ValueError, match="takes 3 pairs"):
        c.apply(qnet.werner(0.9), qnet.werner(0.9))
    with pytest.raises(ValueError, match="pairs\\[1\\]"):
        c.apply(qnet.werner(0.9), [0.5, 0.5, 0.5, 0.5], qnet.werner(0.9))
    with pytest.raises(ValueError, match="unknown name .triple_selection."):
        qnet.circuit("triple_selection")
    with pytest.raises(ValueError, match="fails with certainty"):
        c.apply([0, 1.0, 0, 0], [1.0, 0, 0, 0], [1.0, 0, 0, 0])
    with pytest.raises(ValueError, match="single numbers"):
        c.transfer(qnet.OperationNoise([0.9, 0.8]))
    with pytest.raises(ValueError, match="MAX_DM_ENTRIES"):
        qnet.circuit("stringent").apply(*[np.broadcast_to(np.eye(4) / 4, (200, 4, 4))] * 13, form="dm")
    with pytest.raises(TypeError, match="noise must be a qnet.OperationNoise"):
        c.apply(*[qnet.werner(0.9)] * 3, noise=0.9)


def test_large_batches_are_checked_in_the_kernel_and_split_over_threads():
    """Above the deferral size the kernel checks the inputs while it reads them: a bad row raises the validator's
    message; a batch split over threads gives purify's numbers row for row."""
    rng = np.random.default_rng(17)
    n = 150_000
    lam, mu = _dirichlet(rng, n), _dirichlet(rng, n)
    got = qnet.circuit("dejmps").apply(lam, mu, noise=NOISE_A)
    want = qnet.purify(lam, mu, "dejmps", noise=NOISE_A)
    np.testing.assert_allclose(got.state, want.state, rtol=0, atol=1e-14)
    bad = lam.copy()
    bad[1234] = [0.5, -0.2, 0.4, 0.3]
    with pytest.raises(ValueError, match=r"pairs\[1\] has negative Bell coefficients: -0.2 at index \(1234, 1\)"):
        qnet.circuit("double_selection").apply(lam, bad, mu)
    bad[1234] = [0.5, 0.2, 0.4, 0.3]
    with pytest.raises(ValueError, match=r"pairs\[2\].*sum"):
        qnet.circuit("double_selection").apply(lam, mu, bad)


# ---------------------------------------------------------------- raw pairs with restarts, by Monte Carlo
def _pauli_perm(U):
    """Error index (2x + z) of U P U† for every Pauli P on U's qubits, written out here from the matrices."""
    I, X, Y, Z = np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1, -1])
    single = {0: I, 1: Z, 2: X, 3: Y}
    n = int(np.log2(U.shape[0]))
    basis = [single[e] if n == 1 else np.kron(single[e // 4], single[e % 4]) for e in range(4**n)]
    return np.array([int(np.argmax([abs(np.trace(Q.conj().T @ U @ P @ U.conj().T)) for Q in basis]))
                     for P in basis])


def _sample(rng, lam, size):
    return rng.choice(4, size=size, p=lam)


def _run_ops(rng, ops, E, F, e):
    """Propagate sampled errors E (runs, pairs) through ops; returns whether every check passed."""
    ok = np.ones(E.shape[0], dtype=bool)
    anticommutes = {"X": np.array([0, 1, 0, 1]), "Z": np.array([0, 0, 1, 1]), "Y": np.array([0, 1, 1, 0])}
    for op in ops:
        if op[0] == "gate":
            perm = _pauli_perm(qnet.GATES[op[1]])
            a, b = op[2], op[3]
            new = perm[E[:, a] * 4 + E[:, b]]
            mixed = rng.random(E.shape[0]) >= F
            new[mixed] = rng.integers(0, 16, mixed.sum())
            E[:, a], E[:, b] = new // 4, new % 4
        elif op[0] == "local":
            E[:, op[1]] = _pauli_perm(qnet.LOCAL_CLIFFORDS[op[2]])[E[:, op[1]]]
        elif op[0] == "measure":
            ok &= (anticommutes[op[2]][E[:, op[1]]] == 1) == (rng.random(E.shape[0]) < e)
    return ok


def _monte_carlo_raw_pairs(c, lams, F, e, runs, rng):
    """Every run restarts until it outputs a pair: a failed preparation (ops before the first gate on the kept pair)
    is repeated with fresh pairs, any other failure starts the circuit again. Returns the mean pairs per output and
    the distribution of the output's error."""
    cost = np.zeros(runs)
    final = np.empty(runs, dtype=np.int64)
    step = np.zeros(runs, dtype=np.int64)
    kept = _sample(rng, lams[0], runs)
    cost += 1
    offsets = np.cumsum([1] + [1 + max(max(op[2:]) if op[0] == "gate" else op[1] for op in ops) - 1
                               for ops in c.steps])
    active = np.ones(runs, dtype=bool)
    while active.any():
        for s, ops in enumerate(c.steps):
            at = np.flatnonzero(active & (step == s))
            if not at.size:
                continue
            k = 1 + max(max(op[2:]) if op[0] == "gate" else op[1] for op in ops)
            first = next(i for i, op in enumerate(ops) if 0 in (op[2:] if op[0] == "gate" else op[1:2]))
            E = np.zeros((at.size, k), dtype=np.int64)
            E[:, 0] = kept[at]
            prep_pairs = sorted({p for op in ops[:first] for p in (op[2:] if op[0] == "gate" else op[1:2])})
            todo = np.arange(at.size)
            while todo.size:  # preparation, repeated until it passes
                for p in prep_pairs:
                    E[todo, p] = _sample(rng, lams[offsets[s] + p - 1], todo.size)
                cost[at[todo]] += len(prep_pairs)
                sub = E[todo]
                passed = _run_ops(rng, ops[:first], sub, F, e)
                E[todo] = sub
                todo = todo[~passed]
            for p in range(1, k):
                if p not in prep_pairs:
                    E[:, p] = _sample(rng, lams[offsets[s] + p - 1], at.size)
            cost[at] += k - 1 - len(prep_pairs)
            passed = _run_ops(rng, ops[first:], E, F, e)
            failed = at[~passed]
            step[failed] = 0
            kept[failed] = _sample(rng, lams[0], failed.size)
            cost[failed] += 1
            good = at[passed]
            kept[good] = E[passed, 0]
            step[good] += 1
            finished = good[step[good] == len(c.steps)]
            final[finished] = kept[finished]
            active[finished] = False
    return cost.mean(), cost.std() / np.sqrt(runs), np.bincount(final, minlength=4) / runs


@pytest.mark.parametrize("name", ["expedient", "double_selection"])
def test_raw_pairs_with_restarts_against_monte_carlo(name):
    """The expected raw pairs per output (restarts of failed preparations and of the whole circuit) and the output
    state against a Monte Carlo of the restart process, sampling Pauli errors through the gates: within 5 standard
    errors; without restarts, arity / p_success."""
    c = qnet.circuit(name)
    rng = np.random.default_rng(21)
    lams = [np.array(qnet.werner(0.8 + 0.01 * j)) for j in range(c.arity)]
    noise = qnet.OperationNoise(0.98, 0.01)
    F, e = 0.98**2, 2 * 0.01 * 0.99
    mean, se, dist = _monte_carlo_raw_pairs(c, lams, F, e, 40_000, rng)
    exact = float(c.raw_pairs(*lams, noise=noise))
    assert abs(mean - exact) < 5 * se, (mean, se, exact)
    state = c.apply(*lams, noise=noise).state
    assert np.all(np.abs(dist - state) < 5 * np.sqrt(state * (1 - state) / 40_000) + 1e-12)
    once = float(c.raw_pairs(*lams, noise=noise, restarts=False))
    assert abs(once - c.arity / float(c.acceptance(*lams, noise=noise))) < 1e-12
    if name == "double_selection":  # no preparation: restarts only save the pairs of steps never reached
        assert abs(exact - once) < 1e-12


def test_pumping_and_recurrence_rounds_with_a_three_pair_circuit():
    """A pumping round of double selection takes two fresh pairs, a recurrence round three outputs of the previous
    round; states, success probabilities and raw-pair costs against the rounds written out with Circuit.apply."""
    w, fresh, noise = qnet.werner(0.85), qnet.werner(0.9), qnet.OperationNoise(0.99, 0.01)
    ds = qnet.circuit("double_selection")
    r = qnet.pumping(w, 2, "double_selection", fresh=fresh, noise=noise)
    a = ds.apply(w, fresh, fresh, noise=noise)
    b = ds.apply(a.state, fresh, fresh, noise=noise)
    np.testing.assert_allclose(r.state, b.state, atol=1e-15)
    assert float(r.p_success) == pytest.approx(float(a.p_success * b.p_success), rel=1e-14)
    assert float(r.raw_pairs) == pytest.approx(((1 + 2) / float(a.p_success) + 2) / float(b.p_success), rel=1e-14)
    assert (r.pairs_in, r.steps) == (5, 2)
    mixed = qnet.pumping(w, 2, ["double_selection", "dejmps"], fresh=fresh, noise=noise)
    c = qnet.purify(a.state, fresh, "dejmps", noise=noise)
    np.testing.assert_allclose(mixed.state, c.state, atol=1e-15)
    assert mixed.pairs_in == 4
    rec = qnet.recurrence(w, 2, "double_selection", noise=noise)
    one = ds.apply(w, w, w, noise=noise)
    two = ds.apply(one.state, one.state, one.state, noise=noise)
    np.testing.assert_allclose(rec.state, two.state, atol=1e-15)
    assert float(rec.p_success) == pytest.approx(float(one.p_success) ** 3 * float(two.p_success), rel=1e-14)
    assert float(rec.raw_pairs) == pytest.approx(3 * (3 / float(one.p_success)) / float(two.p_success), rel=1e-14)
    assert (rec.pairs_in, rec.steps) == (9, 4)
    with pytest.raises(ValueError, match="protocol"):
        qnet.pumping(w, 1, "stringent")


def test_identity_tells_circuits_apart_where_the_repr_cannot():
    """Two circuits with the same name, arity and number of steps print alike; their identities (what sweeps
    resume by) differ, and equal operations share one whatever the name."""
    a = qnet.Circuit([("gate", "CNOT", 0, 1), ("measure", 1, "Z")], name="mine")
    b = qnet.Circuit([("gate", "CZ", 0, 1), ("measure", 1, "X")], name="mine")
    assert repr(a) == repr(b) and a.identity != b.identity
    assert a.identity == qnet.circuit("cnot").identity
    assert a.to_dict() == {"name": "mine", "steps": [[["gate", "CNOT", 0, 1], ["measure", 1, "Z"]]]}


@pytest.mark.parametrize("name", qnet.DISTILL_CIRCUITS)
def test_pauli_map_is_the_density_matrix_circuit(name):
    """Circuit.pauli_map (the network simulator's density-matrix distillation) applied to random density matrices,
    with different noise at the two nodes, gives Circuit.apply's explicit circuit: success probability and output
    Pauli coefficients to 1e-13."""
    from qnet._bell import dm_to_pauli

    c = qnet.circuit(name)
    a, b = qnet.OperationNoise(0.97, 0.02), qnet.OperationNoise(0.99, 0.005)
    D = c.pauli_map(a, b)
    rng = np.random.default_rng(7)
    for _ in range(3):
        X = rng.normal(size=(c.arity, 4, 4)) + 1j * rng.normal(size=(c.arity, 4, 4))
        rhos = X @ X.conj().transpose(0, 2, 1)
        rhos /= np.trace(rhos, axis1=1, axis2=2)[:, None, None]
        out = c.apply(*rhos, noise=a, noise_b=b)
        v = D
        for rho in rhos[::-1]:
            v = v @ dm_to_pauli(rho)
        assert abs(v[0] - out.p_success) < 1e-13
        np.testing.assert_allclose(v / v[0], dm_to_pauli(out.state), rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="pauli_map\\(\\) maps one step"):
        qnet.circuit("expedient").pauli_map()
