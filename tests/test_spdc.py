"""SPDC swapping model: Gaussian engine against a truncated Fock-space calculation, analytic limits, bad input."""

import itertools
import math

import numpy as np
import pytest
import qutip

import qnet
from qnet import spdc


# ---------------------------------------------------------------- Gaussian engine vs photon-number truncation
def fock_fourfold(mu_mode, eta, dark, N):
    """Single-polarization swapping: TMSV(a,b) ⊗ TMSV(c,d), 50:50 BS on (b,c), all four detectors click.

    Built in Fock space with N levels per source mode (truncation), exact beam splitter on the
    number-conserving (b,c) space of dimension 2N-1, lossy threshold detectors as POVMs
    P(no click | n) = (1 - d)(1 - η)^n.
    """
    r = math.asinh(math.sqrt(mu_mode))
    c = np.array([math.tanh(r) ** n / math.cosh(r) for n in range(N)])
    D = 2 * N - 1
    a = qutip.destroy(D)
    H = qutip.tensor(a.dag(), a) - qutip.tensor(a, a.dag())
    U = (math.pi / 4 * H).expm().full()
    psi = np.zeros((N, D, D, N), dtype=complex)
    for n in range(N):
        for m in range(N):
            psi[n, :, :, m] = c[n] * c[m] * U[:, n * D + m].reshape(D, D)
    prob = np.abs(psi) ** 2

    def click(n_levels, eta_i):
        n = np.arange(n_levels)
        return 1.0 - (1.0 - dark) * (1.0 - eta_i) ** n

    return np.einsum("abcd,a,b,c,d->", prob, click(N, eta[0]), click(D, eta[1]), click(D, eta[1]),
                     click(N, eta[2]))


def gaussian_fourfold(mu_mode, eta, dark):
    r = np.asarray(math.asinh(math.sqrt(mu_mode)))
    Dlt = spdc._sources(4, [(0, 1, r, 1.0), (2, 3, r, 1.0)])
    for mode, e in zip(range(4), (eta[0], eta[1], eta[1], eta[2])):
        Dlt = spdc._loss(Dlt, mode, e)
    bs = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
    Dlt = spdc._passive(Dlt, [1, 2], bs)
    return float(spdc._all_click(Dlt, [(0,), (1,), (2,), (3,)], [dark] * 4))


def test_gaussian_engine_matches_truncated_fock_space_with_convergence():
    mu_mode, eta, dark = 0.1, (0.6, 0.5, 0.3), 1e-3
    exact = gaussian_fourfold(mu_mode, eta, dark)
    errors = [abs(fock_fourfold(mu_mode, eta, dark, N) - exact) / exact for N in (7, 10, 13)]
    # truncation error shrinks like tanh(r)^(2N) = 0.09^N (about 1e-3 per three levels) until rounding
    assert errors[0] > errors[1] > errors[2]
    assert errors[0] > 1e-6  # the check has teeth: a too-small cutoff is visibly wrong
    assert errors[2] < 1e-9  # N = 13: truncation error 0.09^13 ≈ 3e-14 per source, rounding dominates


def test_vacuum_probability_of_thermal_mode():
    # one arm of a TMSV is thermal with mean n: P(vacuum) = 1/(1 + η n) after loss η (closed form)
    n, eta = 0.3, 0.4
    Dlt = spdc._sources(2, [(0, 1, np.asarray(math.asinh(math.sqrt(n))), 1.0)])
    Dlt = spdc._loss(Dlt, 0, eta)
    assert abs(spdc._p_vacuum(Dlt, (0,)) - 1 / (1 + eta * n)) < 1e-14


def test_two_fold_closed_form_matches_gaussian_engine():
    mu, ea, eb, d = 0.05, 0.3, 0.2, 1e-4
    r = np.asarray(math.asinh(math.sqrt(mu / 2)))
    Dlt = spdc._sources(4, [(0, 3, r, 1.0), (1, 2, r, -1.0)])  # modes aH, aV, bH, bV
    for m, e in ((0, ea), (1, ea), (2, eb), (3, eb)):
        Dlt = spdc._loss(Dlt, m, e)
    # one polarization-insensitive detector per arm (both modes, one dark-count probability)
    engine = spdc._all_click(Dlt, [(0, 1), (2, 3)], [d, d])
    assert abs(qnet.spdc_two_fold_probability(mu, ea, eb, d) - engine) < 1e-14


# ---------------------------------------------------------------- analytic limits of the full model
def test_single_pair_limit_perfect_overlap():
    # μ → 0, lossless, M = 1: the heralded state is the Bell state: all visibilities 1, W = -1/2;
    # P4 → μ² η⁴ / 2 (one pair per source, all photons detected, BSM success 1/2). Corrections are O(μ).
    mu, eta = 1e-4, 0.8
    res = qnet.SPDCSwapping(eta, eta, eta, eta).evaluate(mu)
    assert np.all(np.abs(res.visibility - 1) < 10 * mu)
    assert abs(res.witness + 0.5) < 10 * mu
    assert abs(res.fourfold_probability / (mu**2 * eta**4 / 2) - 1) < 10 * mu


def test_single_pair_limit_partial_distinguishability():
    # Partially distinguishable BSM photons (overlap M): the heralded a-d state is
    # M |Ψ><Ψ| + (1 - M)(|HV><HV| + |VH><VH|)/2 (the distinguishable part keeps only H/V anticorrelation), so
    # V_HV = 1, V_PM = V_RL = M, F = (1 + M)/2; the BSM success stays 1/2 (sum over orthogonal-polarization
    # patterns is independent of M).
    mu, M = 1e-4, 0.7
    res = qnet.SPDCSwapping(mode_overlap=M).evaluate(mu)
    assert np.all(np.abs(res.visibility - [1.0, M, M]) < 10 * mu)
    assert abs(res.fidelity - (1 + M) / 2) < 10 * mu
    assert abs(res.fourfold_probability / (mu**2 / 2) - 1) < 10 * mu


def test_psi_minus_only_halves_the_rate():
    mu = 1e-4
    both = qnet.SPDCSwapping().evaluate(mu).fourfold_probability
    one = qnet.SPDCSwapping(bsm="psi-").evaluate(mu).fourfold_probability
    assert abs(one / both - 0.5) < 10 * mu


def test_each_bell_outcome_alone_against_fock_space():
    """Psi- and Psi+ heralded separately: counts add up to the two together, and each outcome's visibilities
    match the truncated Fock-space model (which signs the correlations of each outcome by its own Bell state)."""
    n_mode, ea, ebc, ed, dark = 0.02, 0.7, 0.5, 0.4, 1e-3
    kw = dict(dark_count_probability=dark, remote_dark_count_probability=dark)
    res = {b: qnet.SPDCSwapping(ea, ebc, ebc, ed, bsm=b, **kw).evaluate(2 * n_mode) for b in ("both", "psi-", "psi+")}
    np.testing.assert_allclose(res["psi-"].fourfold_counts_per_basis + res["psi+"].fourfold_counts_per_basis,
                               res["both"].fourfold_counts_per_basis, rtol=1e-12)
    weighted = sum(res[b].visibility * res[b].fourfold_counts_per_basis for b in ("psi-", "psi+"))
    np.testing.assert_allclose(weighted / res["both"].fourfold_counts_per_basis, res["both"].visibility, rtol=1e-12)
    fine = fock_full_model(n_mode, ea, ebc, ed, dark, 4, outcomes=("psi+",))
    for ib, basis in enumerate(("HV", "PM")):
        assert abs(fine[basis][0] - res["psi+"].visibility[ib]) < 2e-4
        assert abs(fine[basis][1] / res["psi+"].fourfold_counts_per_basis[ib] - 1) < 2e-4
    assert res["psi+"].visibility[1] < 0.99  # multi-pair terms visible: the comparison has teeth


def test_multi_pair_emission_lowers_visibility_and_dark_counts_too():
    mu = np.array([0.001, 0.01, 0.05, 0.1])
    res = qnet.SPDCSwapping(0.3, 0.3, 0.3, 0.3).evaluate(mu)
    assert np.all(np.diff(res.mean_visibility) < 0)
    noisy = qnet.SPDCSwapping(0.3, 0.3, 0.3, 0.3, channel_loss_db=30.0,
                              remote_dark_count_probability=1e-5).evaluate(mu)
    assert np.all(noisy.mean_visibility < res.mean_visibility)


def test_channel_loss_scales_rate_in_single_pair_limit():
    mu = 1e-4
    base = qnet.SPDCSwapping().evaluate(mu).fourfold_probability
    lossy = qnet.SPDCSwapping(channel_loss_db=20.0).evaluate(mu).fourfold_probability
    assert abs(lossy / base / 1e-2 - 1) < 10 * mu


def test_two_fold_rate_in_result_and_inversion_round_trip():
    ea, eb = 0.15, 0.25
    mu = qnet.spdc_mean_pairs([15e3, 130e3], 80e6, ea, eb)
    p = qnet.spdc_two_fold_probability(mu, ea, eb)
    assert np.allclose(p * 80e6, [15e3, 130e3], rtol=1e-12, atol=0)
    res = qnet.SPDCSwapping(ea, eb, eb, ea).evaluate(mu)
    assert np.allclose(res.twofold_rate_hz, [15e3, 130e3], rtol=1e-12, atol=0)


def test_scan_shapes():
    res = qnet.SPDCSwapping().evaluate(np.full((2, 3), 0.01))
    assert res.visibility.shape == (2, 3, 3)
    assert res.fourfold_rate_hz.shape == (2, 3)


# ---------------------------------------------------------------- bad input
def test_mean_pairs_zero():
    with pytest.raises(ValueError, match="mean_pairs"):
        qnet.SPDCSwapping().evaluate(0.0)


def test_mean_pairs_negative():
    with pytest.raises(ValueError, match="mean_pairs"):
        qnet.spdc_two_fold_probability(-0.1, 0.5, 0.5)


def test_efficiency_above_one():
    with pytest.raises(ValueError, match="efficiency_b"):
        qnet.SPDCSwapping(efficiency_b=1.1)


def test_negative_channel_loss():
    with pytest.raises(ValueError, match="channel_loss_db"):
        qnet.SPDCSwapping(channel_loss_db=-1.0)


def test_mode_overlap_out_of_range():
    with pytest.raises(ValueError, match="mode_overlap"):
        qnet.SPDCSwapping(mode_overlap=-0.2)


def test_unknown_bsm():
    with pytest.raises(ValueError, match="bsm"):
        qnet.SPDCSwapping(bsm="phi+")


def test_mismatched_pump_shapes():
    with pytest.raises(ValueError, match="broadcast"):
        qnet.SPDCSwapping().evaluate([0.01, 0.02], [0.01, 0.02, 0.03])


def test_two_fold_rate_above_repetition_rate():
    with pytest.raises(ValueError, match="two_fold_rate_hz"):
        qnet.spdc_mean_pairs(1e9, 80e6, 0.5, 0.5)


def test_zero_heralding_efficiency_for_inversion():
    with pytest.raises(ValueError, match="efficiency_a"):
        qnet.spdc_mean_pairs(1e3, 80e6, 0.0, 0.5)


# ---------------------------------------------------------------- full polarization model vs Fock space
def _two_mode_bs(D):
    a = qutip.destroy(D)
    H = qutip.tensor(a.dag(), a) - qutip.tensor(a, a.dag())
    return (math.pi / 4 * H).expm().full().reshape(D, D, D, D)


def fock_full_model(n_mode, eta_a, eta_bc, eta_d, dark, N, outcomes=("psi-", "psi+")):
    """Eight polarization modes in Fock space (cutoff N per source mode), HV and PM analysers.

    Sources: TMSV on (aH, bV) with +tanh r and on (aV, bH) with -tanh r (lowest order Ψ-), same for (c, d).
    BSM: 50:50 beam splitters on (bH, cH) and (bV, cV). PM analyser: a 50:50 mixer of the H and V modes of a
    and of d (the same unitary on both, so outcome labels agree). Lossy threshold detectors as POVMs
    P(no click | n) = (1 - dark)(1 - η)^n. Returns {basis: (visibility, four-fold counts per pulse summed
    over the detector patterns, probability of at least one pattern)}, the last summed over every exact
    click pattern of the eight detectors (only when both Bell outcomes herald; else None).
    """
    D = 2 * N - 1
    r = math.asinh(math.sqrt(n_mode))
    amp_p = np.zeros(D)
    amp_m = np.zeros(D)
    for n in range(N):
        amp_p[n] = math.tanh(r) ** n / math.cosh(r)
        amp_m[n] = (-math.tanh(r)) ** n / math.cosh(r)
    pair_p = np.diag(amp_p)  # amplitude of |n, n> on (first, second)
    pair_m = np.diag(amp_m)
    # axes: aH aV bH bV cH cV dH dV
    psi = np.einsum("ad,bc,ej,fi->abcdefij", pair_p, pair_m, pair_p, pair_m)
    U = _two_mode_bs(D)
    psi = np.einsum("pqxy,abxdyfgh->abpdqfgh", U, psi, optimize=True)  # BS on (bH, cH)
    psi = np.einsum("pqxy,abcxeygh->abcpeqgh", U, psi, optimize=True)  # BS on (bV, cV)

    def click(eta):
        return 1.0 - (1.0 - dark) * (1.0 - eta) ** np.arange(D)

    ca, cb, cd = click(eta_a), click(eta_bc), click(eta_d)
    one = np.ones(D)
    results = {}
    for basis in ("HV", "PM"):
        phi = psi
        if basis == "PM":
            phi = np.einsum("pqxy,xyabcdef->pqabcdef", U, phi, optimize=True)
            phi = np.einsum("pqxy,abcdefxy->abcdefpq", U, phi, optimize=True)
        prob = np.abs(phi) ** 2
        signed = total = 0.0
        ideal = {"psi-": -1.0, "psi+": -1.0 if basis == "HV" else 1.0}
        # BSM detectors on the remaining axes (bH, bV, cH, cV) = (port 3 H, port 3 V, port 4 H, port 4 V)
        patterns = {k: v for k, v in {"psi-": [(0, 3), (1, 2)], "psi+": [(0, 1), (2, 3)]}.items() if k in outcomes}
        for oa in (0, 1):
            wa = (ca, one) if oa == 0 else (one, ca)
            pa = np.tensordot(np.tensordot(prob, wa[0], axes=([0], [0])), wa[1], axes=([0], [0]))
            for od in (0, 1):
                wd = (cd, one) if od == 0 else (one, cd)
                pad = np.tensordot(np.tensordot(pa, wd[0], axes=([4], [0])), wd[1], axes=([4], [0]))
                for kind, pats in patterns.items():
                    for i, j in pats:
                        w = [one] * 4
                        w[i] = cb
                        w[j] = cb
                        p = float(np.einsum("abcd,a,b,c,d->", pad, *w))
                        total += p
                        signed += ideal[kind] * (1.0 if oa == od else -1.0) * p
        union = None
        if len(patterns) == 2:
            heralding = [pair for pats in patterns.values() for pair in pats]
            union = 0.0
            for clicks in itertools.product((0, 1), repeat=8):  # aH aV bH bV cH cV dH dV
                a_fires, d_fires = clicks[0] or clicks[1], clicks[6] or clicks[7]
                bsm = clicks[2:6]
                if not (a_fires and d_fires and any(bsm[i] and bsm[j] for i, j in heralding)):
                    continue
                eff = (ca, ca, cb, cb, cb, cb, cd, cd)
                w = [e if c else 1.0 - e for c, e in zip(clicks, eff)]
                union += float(np.einsum("abcdefgh,a,b,c,d,e,f,g,h->", prob, *w, optimize=True))
        results[basis] = (signed / total, total, union)
    return results


def test_full_model_matches_fock_space_including_multi_pair_terms():
    n_mode, ea, ebc, ed, dark = 0.02, 0.7, 0.5, 0.4, 1e-3
    model = qnet.SPDCSwapping(ea, ebc, ebc, ed, dark_count_probability=dark, remote_dark_count_probability=dark)
    res = model.evaluate(2 * n_mode)
    coarse = fock_full_model(n_mode, ea, ebc, ed, dark, 3)
    fine = fock_full_model(n_mode, ea, ebc, ed, dark, 4)
    for ib, basis in enumerate(("HV", "PM")):
        V_g, P_g = res.visibility[ib], res.fourfold_counts_per_basis[ib]
        # the probability of an event (at least one pattern) is below the counts, by the multi-pattern pulses
        U_g = res.fourfold_probability_per_basis[ib]
        assert abs(fine[basis][2] / U_g - 1) < 2e-4 and abs(fine[basis][2] / U_g - 1) < abs(coarse[basis][2] / U_g - 1)
        assert U_g < P_g
        # truncation: each extra level multiplies the dropped weight by tanh(r)^2 = 0.0196 (measured: ~3e-3
        # at N = 3, ~1e-4 at N = 4); convergence by >10x must be visible and the finer cutoff must agree
        err_c = abs(coarse[basis][1] / P_g - 1)
        err_f = abs(fine[basis][1] / P_g - 1)
        assert err_f < err_c / 10 and err_f < 2e-4
        assert abs(fine[basis][0] - V_g) < 2e-4
        assert abs(fine[basis][0] - V_g) < abs(coarse[basis][0] - V_g) / 10
    # multi-pair terms are large enough here for the comparison to test them (visibility visibly below 1)
    assert res.visibility[1] < 0.99


def test_fourfold_probability_is_a_probability_at_any_pump():
    # Summed over detector patterns the counts exceed 1 at high pump (8.36 at mean_pairs = 10, M = 0.9);
    # the probability of an event stays in [0, 1], tends to 1, and equals the counts at low pump.
    model = qnet.SPDCSwapping(mode_overlap=0.9)
    res = model.evaluate(np.logspace(-6, 6, 49))
    p = res.fourfold_probability
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    assert np.all(np.diff(p) > 0) and p[-1] > 1 - 1e-9
    assert res.fourfold_counts_per_basis.max() > 8
    low = model.evaluate(1e-4)
    assert abs(low.fourfold_probability / low.fourfold_counts_per_basis.mean() - 1) < 1e-3
    np.testing.assert_allclose(res.fourfold_rate_hz, res.fourfold_counts_per_basis.mean(axis=-1) * 80e6, rtol=1e-15)


@pytest.mark.parametrize("mu", [1e300, 1e7, float("inf")])
def test_absurd_pump_is_refused(mu):
    with pytest.raises(ValueError, match="mean_pairs"):
        qnet.SPDCSwapping().evaluate(mu)
    with pytest.raises(ValueError, match="mean_pairs"):
        qnet.spdc_two_fold_probability(mu, 0.5, 0.5)


def test_mean_pairs_out_of_reach():
    # A two-fold rate that no pump level up to MAX_MEAN_PAIRS gives: a ValueError, not an OverflowError.
    with pytest.raises(ValueError, match="two_fold_rate_hz.*MAX_MEAN_PAIRS"):
        qnet.spdc_mean_pairs(130e3, 80e6, 1e-300, 0.2)


def test_remote_loss_costs_no_precision():
    """At 32 dB on arm d the witness and rate are smooth functions of the pump: steps of 1e-9 in the pair number
    move them by the derivative alone (second differences below 1e-10; 4e-7 before the conditional pivot), and the rate scales with the link
    transmission as in the single-pair limit (ratio of 30 dB to 32 dB = 10^0.2 within the d-arm's own
    saturation, 1e-4)."""
    model = qnet.SPDCSwapping(0.087, 0.1, 0.1, 0.087, mode_overlap=0.87, channel_loss_db=32.0)
    mu = 0.1396 * (1 + 1e-9 * np.arange(6))
    res = model.evaluate(mu)
    assert np.abs(np.diff(res.witness, 2)).max() < 1e-10
    assert np.abs(np.diff(res.fourfold_rate_hz, 2) / res.fourfold_rate_hz[0]).max() < 1e-10
    near = qnet.SPDCSwapping(0.087, 0.1, 0.1, 0.087, mode_overlap=0.87, channel_loss_db=30.0).evaluate(mu[0])
    assert abs(near.fourfold_rate_hz / res.fourfold_rate_hz[0] / 10 ** 0.2 - 1) < 1e-4
