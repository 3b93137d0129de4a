"""Link models: heralding schemes against an explicit QuTiP quantum-optics model; bounds by hand."""

import math

import numpy as np
import pytest
import qutip

import qnet

TOL = 1e-10
NPH = 3  # photon-number cutoff per optical mode: at most two photons exist, so 3 levels are exact


# ---------------------------------------------------------------- independent QuTiP model of one heralding round
def _loss_kraus(eta):
    """Pure-loss channel on a truncated bosonic mode (exact below the cutoff)."""
    ops = []
    for k in range(NPH):
        m = np.zeros((NPH, NPH))
        for n in range(k, NPH):
            m[n - k, n] = math.sqrt(math.comb(n, k) * eta ** (n - k) * (1 - eta) ** k)
        ops.append(qutip.Qobj(m))
    return ops


def _round(spins, eta, V, d):
    """One emission/detection round.

    spins: 4x4 density matrix of the two spins (basis |↓↓>, |↓↑>, |↑↓>, |↑↑> with ↑ = 1).
    Each node emits one photon iff its spin is ↑ (the bright-state amplitude is in ``spins``).
    A's photon is in mode u; B's in V u + sqrt(1-V^2) w.
    Returns the unnormalised spin states heralded by exactly one click at D+ and at D-.
    """
    I2, Ip = qutip.qeye(2), qutip.qeye(NPH)
    a = qutip.destroy(NPH)
    # mode order: spinA, spinB, a_u, a_w, b_u, b_w
    def op(single, pos):
        ops = [I2, I2, Ip, Ip, Ip, Ip]
        ops[pos] = single
        return qutip.tensor(ops)
    vac = qutip.tensor([qutip.basis(NPH, 0)] * 4)
    rho = qutip.tensor(qutip.Qobj(spins, dims=[[2, 2], [2, 2]]), vac * vac.dag())
    up = qutip.basis(2, 1) * qutip.basis(2, 1).dag()
    down = qutip.basis(2, 0) * qutip.basis(2, 0).dag()
    # emission: controlled creation of a photon (unitary on the relevant subspace; acts on vacuum only)
    em_a = op(down, 0) + op(up, 0) * op(a.dag(), 2)
    cb = V * op(a.dag(), 4) + math.sqrt(max(0.0, 1 - V * V)) * op(a.dag(), 5)
    em_b = op(down, 1) + op(up, 1) * cb
    rho = em_b * em_a * rho * em_a.dag() * em_b.dag()
    for pos in (2, 3, 4, 5):
        ks = [op(k, pos) for k in _loss_kraus(eta)]
        rho = sum(k * rho * k.dag() for k in ks)
    # 50:50 beam splitters on (a_u, b_u) and (a_w, b_w)
    for pa, pb in ((2, 4), (3, 5)):
        H = op(a.dag(), pa) * op(a, pb) - op(a, pa) * op(a.dag(), pb)
        U = (math.pi / 4 * H).expm()
        rho = U * rho * U.dag()
    P0 = qutip.basis(NPH, 0) * qutip.basis(NPH, 0).dag()
    none_plus = op(P0, 2) * op(P0, 3)  # output port + (modes 2, 3) empty
    none_minus = op(P0, 4) * op(P0, 5)
    one = qutip.tensor([I2, I2, Ip, Ip, Ip, Ip])
    # threshold detectors with dark counts: click iff photon or dark count
    herald_plus = (1 - d) * (one - none_plus) * none_minus + d * (1 - d) * none_plus * none_minus
    herald_minus = (1 - d) * (one - none_minus) * none_plus + d * (1 - d) * none_plus * none_minus
    return [_cond(rho, h) for h in (herald_plus, herald_minus)]


def _cond(rho, h):
    """Unnormalised spin state after the POVM element h (diagonal in the Fock basis: sqrt taken entrywise)."""
    hd = h.full()
    sq = qutip.Qobj(np.sqrt(np.clip(np.diag(hd).real, 0, None)) * np.eye(hd.shape[0]), dims=h.dims)
    return (sq * rho * sq).ptrace([0, 1]).full()


_PSI_PLUS = qnet.BELL_VECTORS[2]
_PSI_MINUS = qnet.BELL_VECTORS[3]


def _bell_part_phi_frame(rho_plus, rho_minus):
    """Heralded state after Z-correcting a D- herald, then X on B (Ψ -> Φ), as BDS; plus total probability."""
    Z2 = np.kron(np.eye(2), np.diag([1.0, -1.0]))
    rho = rho_plus + Z2 @ rho_minus @ Z2
    p = np.trace(rho).real
    X2 = np.kron(np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0]]))
    rho = X2 @ (rho / p) @ X2
    return p, np.array([(v @ rho @ v).real for v in qnet.BELL_VECTORS])


def qutip_single_click(alpha, eta, V, d):
    s = np.array([math.sqrt(1 - alpha), math.sqrt(alpha)])
    psi = np.kron(s, s)
    rp, rm = _round(np.outer(psi, psi), eta, V, d)
    return _bell_part_phi_frame(rp, rm)


def qutip_double_click(eta, V, d):
    s = np.array([1.0, 1.0]) / math.sqrt(2)
    psi = np.kron(s, s)
    rounds = _round(np.outer(psi, psi), eta, V, d)
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    XX = np.kron(X, X)
    total = []
    for first_sign, r1 in zip((1, -1), rounds):
        p1 = np.trace(r1).real
        if p1 == 0:
            continue
        r1f = XX @ r1 @ XX  # flip both spins
        for second_sign, r2 in zip((1, -1), _round(r1f, eta, V, d)):
            # equal clicks heralds Psi+, different clicks Psi- (Barrett-Kok): put into the (+, -) slots
            total.append((first_sign * second_sign, r2))
    rho_plus = sum(r for s_, r in total if s_ == 1)
    rho_minus = sum(r for s_, r in total if s_ == -1)
    return _bell_part_phi_frame(rho_plus, rho_minus)


# ---------------------------------------------------------------- single click
@pytest.mark.parametrize("alpha,V,d", [(0.1, 1.0, 0.0), (0.3, 0.8, 0.0), (0.05, 0.9, 1e-3)])
def test_single_click_matches_quantum_optics_model(alpha, V, d):
    ch = qnet.FibreChannel(30.0)
    link = qnet.SingleClick(ch, bright_state=alpha, visibility=V, detector_efficiency=0.7,
                            dark_count_probability=d)
    eta = 0.7 * math.sqrt(ch.transmissivity)
    p, lam = qutip_single_click(alpha, eta, V, d)
    assert abs(link.success_probability() - p) < TOL
    assert np.abs(link.state() - lam).max() < TOL


def test_single_click_textbook_limit():
    # no dark counts, V = 1: P = αη(2 − αη), F = 2(1 − α)/(2 − αη) (derived in the class docstring)
    link = qnet.SingleClick(qnet.FreeSpaceChannel(10.0), bright_state=0.2, source_efficiency=0.5)
    eta = 0.5 * math.sqrt(0.1)
    assert abs(link.success_probability() - 0.2 * eta * (2 - 0.2 * eta)) < TOL
    assert abs(link.fidelity() - 2 * 0.8 / (2 - 0.2 * eta)) < TOL


# ---------------------------------------------------------------- double click
@pytest.mark.parametrize("V,d", [(1.0, 0.0), (0.9, 0.0), (0.95, 2e-3)])
def test_double_click_matches_quantum_optics_model(V, d):
    ch = qnet.FibreChannel(10.0)
    link = qnet.DoubleClick(ch, visibility=V, coupling_efficiency=0.6, dark_count_probability=d)
    eta = 0.6 * math.sqrt(ch.transmissivity)
    p, lam = qutip_double_click(eta, V, d)
    assert abs(link.success_probability() - p) < TOL
    assert np.abs(link.state() - lam).max() < TOL


def test_double_click_ideal_probability():
    link = qnet.DoubleClick(qnet.FibreChannel(0.0), detector_efficiency=0.4)
    assert abs(link.success_probability() - 0.4**2 / 2) < TOL  # Barrett & Kok 2005: η²/2
    assert abs(link.fidelity() - 1.0) < TOL


# ---------------------------------------------------------------- midpoint source and sender-receiver
def _monte_carlo_midpoint(pp, eta, d, F, n, seed):
    rng = np.random.default_rng(seed)
    pair = rng.random(n) < pp
    arrive = pair[:, None] & (rng.random((n, 2)) < eta)
    dark = rng.random((n, 2)) < d
    herald = (arrive | dark).all(axis=1)
    good = arrive.all(axis=1)
    p = herald.mean()
    fid = (good.sum() * F + (herald & ~good).sum() * 0.25) / herald.sum()
    return p, fid


def test_midpoint_source_monte_carlo():
    ch = qnet.FibreChannel(40.0)
    link = qnet.MidpointSource(ch, pair_probability=0.6, source_fidelity=0.97, detector_efficiency=0.5,
                               dark_count_probability=0.05)
    eta = 0.5 * math.sqrt(ch.transmissivity)
    n = 400_000
    p, fid = _monte_carlo_midpoint(0.6, eta, 0.05, 0.97, n, seed=1)
    sigma_p = math.sqrt(p * (1 - p) / n)
    assert abs(link.success_probability() - p) < 5 * sigma_p
    assert abs(link.fidelity() - fid) < 5 * 0.75 * math.sqrt(0.1 / (n * p))  # generous 5σ bound on the mix


def test_sender_receiver_hand_formula():
    link = qnet.SenderReceiver(qnet.FibreChannel(25.0), source_efficiency=0.8, source_fidelity=0.9,
                               dark_count_probability=0.01, preparation_time_s=1e-6)
    eta = 0.8 * 10 ** (-0.5)
    p = eta + (1 - eta) * 0.01
    assert abs(link.success_probability() - p) < TOL
    assert abs(link.fidelity() - (eta * 0.9 + (p - eta) * 0.25) / p) < TOL
    assert abs(link.attempt_duration() - (1e-6 + 2 * 25.0 / 2e5)) < 1e-18


def test_durations_and_rate():
    ch = qnet.FibreChannel(100.0)  # one-way delay 0.5 ms
    assert abs(qnet.SingleClick(ch).attempt_duration() - 5e-4) < 1e-15
    assert abs(qnet.DoubleClick(ch, preparation_time_s=1e-5).attempt_duration() - 5.2e-4) < 1e-15
    assert abs(qnet.MidpointSource(ch).attempt_duration() - 7.5e-4) < 1e-15
    link = qnet.SenderReceiver(ch)
    assert abs(link.rate() - link.success_probability() / 1e-3) < 1e-9


def test_multiplexing():
    ch = qnet.FibreChannel(50.0)
    one = qnet.SenderReceiver(ch)
    many = qnet.SenderReceiver(ch, modes=10)
    assert abs(many.success_probability() - (1 - (1 - one.success_probability()) ** 10)) < TOL
    assert np.array_equal(one.state(), many.state())


def test_channels():
    assert abs(qnet.FibreChannel(143.0).loss_db - 28.6) < 1e-12
    assert abs(qnet.fibre_transmissivity(10.0, 0.3) - 10 ** -0.3) < 1e-15
    assert abs(qnet.FreeSpaceChannel(32.0, 143.0).transmissivity - 10 ** -3.2) < 1e-18
    half = qnet.FibreChannel(100.0).split()
    assert half.length_km == 50.0
    assert np.allclose(qnet.db_to_transmissivity([0.0, 10.0]), [1.0, 0.1], rtol=0, atol=1e-15)


# ---------------------------------------------------------------- bounds (hand-derived values)
def test_plob_values():
    assert abs(qnet.plob_bound(0.5) - 1.0) < TOL  # -log2(1/2)
    assert abs(qnet.plob_bound(0.75) - 2.0) < TOL  # -log2(1/4)
    assert qnet.plob_bound(0.0) == 0.0
    assert np.isinf(qnet.plob_bound(1.0))


def test_tgw_values_and_order():
    assert abs(qnet.tgw_bound(1 / 3) - 1.0) < TOL  # log2((4/3)/(2/3)) = 1
    eta = np.linspace(0.01, 0.99, 50)
    assert np.all(qnet.tgw_bound(eta) > qnet.plob_bound(eta))


def test_bounds_per_second():
    assert abs(qnet.plob_bound(0.5, repetition_rate=1e6) - 1e6) < 1e-4
    assert abs(qnet.tgw_bound(1 / 3, repetition_rate=2.0) - 2.0) < TOL


def test_chain_bound():
    eta = 10 ** (-0.2 * 300 / 10)
    assert abs(qnet.repeater_chain_bound(eta, 1) - qnet.plob_bound(eta)) < TOL
    assert abs(qnet.repeater_chain_bound(0.5**3, 3) - 1.0) < TOL  # each segment η = 1/2
    assert qnet.repeater_chain_bound(eta, 4) > qnet.plob_bound(eta)


# ---------------------------------------------------------------- bad input
def test_negative_length():
    with pytest.raises(ValueError, match="length_km"):
        qnet.FibreChannel(-1.0)


def test_negative_attenuation():
    with pytest.raises(ValueError, match="attenuation_db_per_km"):
        qnet.FibreChannel(10.0, attenuation_db_per_km=-0.2)


def test_negative_free_space_loss():
    with pytest.raises(ValueError, match="loss_db"):
        qnet.FreeSpaceChannel(-3.0)


def test_efficiency_above_one():
    with pytest.raises(ValueError, match="detector_efficiency"):
        qnet.SingleClick(qnet.FibreChannel(1.0), detector_efficiency=1.2)


def test_bright_state_negative():
    with pytest.raises(ValueError, match="bright_state"):
        qnet.SingleClick(qnet.FibreChannel(1.0), bright_state=-0.1)


def test_dark_count_probability_out_of_range():
    with pytest.raises(ValueError, match="dark_count_probability"):
        qnet.DoubleClick(qnet.FibreChannel(1.0), dark_count_probability=2.0)


def test_modes_zero():
    with pytest.raises(ValueError, match="modes"):
        qnet.SenderReceiver(qnet.FibreChannel(1.0), modes=0)


def test_channel_wrong_type():
    with pytest.raises(TypeError, match="channel"):
        qnet.MidpointSource(10.0)


def test_length_wrong_type():
    with pytest.raises(TypeError, match="length_km"):
        qnet.FibreChannel("10 km")


def test_eta_out_of_range():
    with pytest.raises(ValueError, match="eta"):
        qnet.plob_bound(1.5)


def test_repetition_rate_zero():
    with pytest.raises(ValueError, match="repetition_rate"):
        qnet.tgw_bound(0.5, repetition_rate=0.0)


def test_segments_zero():
    with pytest.raises(ValueError, match="segments"):
        qnet.repeater_chain_bound(0.5, 0)


def test_mismatched_shapes():
    with pytest.raises(ValueError, match="broadcast"):
        qnet.fibre_transmissivity([1.0, 2.0], [0.2, 0.2, 0.2])


def test_rate_of_an_instantaneous_attempt_is_infinite_not_an_error():
    link = qnet.MidpointSource(qnet.FibreChannel(0.0))  # no fibre, no preparation time: zero-duration attempts
    assert link.attempt_duration() == 0.0 and link.rate() == float("inf")
