"""Bad input to every public function of the foundation: one test per case.

Each case asserts the exception type and that the message names the parameter
(and, where there is one, the offending value or the allowed range).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import qutip
from hypothesis import given
from hypothesis import strategies as st

import qnet
from qnet.measures import MEASURES

NAN, INF = float("nan"), float("inf")
LAM = qnet.werner(0.9)
RHO = qnet.to_density_matrix(LAM)
RATES = np.array([0.1, 0.2, 0.3])
MEM = qnet.T1T2Memory(1.0, 1.0)
#: Valid both as a density matrix (|++><++|) and as four Bell-diagonal rows (each maximally mixed).
AMBIGUOUS = np.full((4, 4), 0.25)


def _case(fn, exc, match, id):
    return pytest.param(fn, exc, match, id=id)


def _check(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


# ---------------------------------------------------------------- bad Bell-diagonal states
BAD_BDS = [
    ("negative", [1.1, -0.1, 0.0, 0.0], ValueError, r"negative Bell coefficients: -0\.1.*>= 0"),
    ("nan", [NAN, 0.1, 0.1, 0.1], ValueError, r"must be finite, got nan"),
    ("inf", [INF, 0.0, 0.0, 0.0], ValueError, r"must be finite, got inf"),
    ("minus_inf", [-INF, 0.5, 0.5, 0.5], ValueError, r"must be finite, got -inf"),
    ("sum_below_1", [0.5, 0.25, 0.125, 0.0], ValueError, r"must sum to 1 \(tolerance 1e-09\), got sum 0\.875"),
    ("sum_above_1", [0.5, 0.5, 0.5, 0.5], ValueError, r"must sum to 1 .*got sum 2\.0"),
    ("sum_off_beyond_tolerance", [0.7 + 2e-9, 0.1, 0.1, 0.1], ValueError, r"must sum to 1"),
    ("last_axis_3", [0.5, 0.25, 0.25], ValueError, r"last axis of length 4.*got shape \(3,\)"),
    ("last_axis_5", [0.2] * 5, ValueError, r"last axis of length 4.*got shape \(5,\)"),
    ("scalar", 1.0, ValueError, r"last axis of length 4.*got shape \(\)"),
    ("string", "werner", TypeError, r"must be a real number"),
    ("none", None, TypeError, r"must be a real number"),
    ("complex", np.array([0.7, 0.1, 0.1, 0.1]) + 0j, TypeError, r"complex"),
    ("object", np.array([0.7, "a", 0.1, 0.1], dtype=object), TypeError, r"numeric"),
    ("bad_row_in_batch", [[0.7, 0.1, 0.1, 0.1], [0.5, 0.25, 0.25, 0.125]], ValueError,
     r"sum 1\.125 at index \(1,\)"),
]

BDS_FUNCTIONS = {
    "to_density_matrix": ("state", lambda s: qnet.to_density_matrix(s)),
    "werner_twirl": ("state", lambda s: qnet.werner_twirl(s)),
    "bell_diagonal": ("coeffs", lambda s: qnet.bell_diagonal(s)),
    "to_qobj": ("state", lambda s: qnet.to_qobj(s)),
    "idle": ("state", lambda s: qnet.idle(s, RATES, 1.0)),
    "pauli_channel": ("state", lambda s: qnet.pauli_channel(s, [1.0, 0.0, 0.0, 0.0])),
    **{name: ("state", (lambda f: lambda s: f(s))(fn)) for name, fn in MEASURES.items()},
}


@pytest.mark.parametrize("case", BAD_BDS, ids=[c[0] for c in BAD_BDS])
@pytest.mark.parametrize("func", sorted(BDS_FUNCTIONS))
def test_bad_bds(func, case):
    _, value, exc, match = case
    name, fn = BDS_FUNCTIONS[func]
    # The message starts by naming the parameter (or names it in its first clause).
    with pytest.raises(exc, match=rf"{name}\b.*" + match if not match.startswith(name) else match) as info:
        fn(value)
    assert name in str(info.value)


def test_large_batch_bad_row_same_message():
    # Large arrays are checked by the compiled kernel, which falls back to the numpy checks for the message.
    lam = np.tile(qnet.werner(0.8), (5000, 1))
    lam[4321, 2] = -0.5
    with pytest.raises(ValueError, match=r"state has negative Bell coefficients: -0\.5 at index \(4321, 2\)"):
        qnet.idle(lam, RATES, 1.0)
    lam[4321, 2] = NAN
    with pytest.raises(ValueError, match=r"state must be finite, got nan at index \(4321, 2\)"):
        qnet.fidelity(lam)
    lam[4321, 2] = INF
    with pytest.raises(ValueError, match=r"state must be finite, got inf at index \(4321, 2\)"):
        qnet.idle(lam, RATES, 1.0)
    lam[4321, 2] = 0.1
    lam[17, 0] = 0.9
    with pytest.raises(ValueError, match=r"state coefficients must sum to 1 .*at index \(17,\)"):
        qnet.to_density_matrix(lam)


# ---------------------------------------------------------------- bad density matrices
def _nonhermitian():
    r = RHO.copy()
    r[0, 1] += 0.1
    return r


def _with(entry):
    r = RHO.copy()
    r[2, 2] = entry
    return r


BAD_DM = [
    ("non_hermitian", _nonhermitian(), ValueError, r"must be Hermitian \(tolerance 1e-09\).*0\.1"),
    ("non_positive", np.diag([1.5, -0.5, 0.0, 0.0]).astype(complex), ValueError,
     r"positive semidefinite.*smallest eigenvalue -0\.5"),
    ("trace_not_1", np.diag([0.5, 0.25, 0.125, 0.0]).astype(complex), ValueError, r"trace 1 .*got trace 0\.875"),
    ("nan_entry", _with(NAN), ValueError, r"must be finite"),
    ("inf_entry", _with(INF), ValueError, r"must be finite"),
    ("shape_3x3", np.eye(3, dtype=complex) / 3, ValueError, r"shape \(\.\.\., 4, 4\), got shape \(3, 3\)"),
    ("shape_2x2", np.eye(2, dtype=complex) / 2, ValueError, r"shape \(\.\.\., 4, 4\), got shape \(2, 2\)"),
    ("string", "rho", TypeError, r"4x4 density matrix, got str"),
    ("none", None, TypeError, r"4x4 density matrix, got NoneType"),
    ("qobj_wrong_dims", qutip.qeye(3) / 3, ValueError, r"two-qubit state .*Qobj of shape \(3, 3\)"),
    ("qobj_non_positive", qutip.Qobj(np.diag([1.5, -0.5, 0.0, 0.0]), dims=[[2, 2], [2, 2]]), ValueError,
     r"positive semidefinite"),
]

DM_FUNCTIONS = {
    "to_bds": ("rho", lambda r: qnet.to_bds(r)),
    "amplitude_damping": ("rho", lambda r: qnet.amplitude_damping(r, 0.1)),
    "t1t2_channel": ("rho", lambda r: qnet.t1t2_channel(r, MEM, 0.1)),
    "idle": ("state", lambda r: qnet.idle(r, RATES, 0.1, form="dm")),
    "pauli_channel": ("state", lambda r: qnet.pauli_channel(r, [1.0, 0.0, 0.0, 0.0], form="dm")),
    "to_qobj": ("state", lambda r: qnet.to_qobj(r, form="dm")),
    **{name: ("state", (lambda f: lambda r: f(r, form="dm"))(fn)) for name, fn in MEASURES.items()
       if name != "relative_entropy_of_entanglement"},
}


@pytest.mark.parametrize("case", BAD_DM, ids=[c[0] for c in BAD_DM])
@pytest.mark.parametrize("func", sorted(DM_FUNCTIONS))
def test_bad_density_matrix(func, case):
    _, value, exc, match = case
    name, fn = DM_FUNCTIONS[func]
    with pytest.raises(exc, match=rf"^{name}\b.*" + match):
        fn(value)


@pytest.mark.parametrize("case", [c for c in BAD_DM if isinstance(c[1], qutip.Qobj)], ids=lambda c: c[0])
def test_from_qobj_bad_qobj(case):
    _, value, exc, match = case
    with pytest.raises(exc, match=r"^qobj\b.*" + match):
        qnet.from_qobj(value)


def test_from_qobj_not_a_qobj():
    with pytest.raises(TypeError, match=r"qobj must be a qutip\.Qobj, got ndarray"):
        qnet.from_qobj(RHO)


@pytest.mark.parametrize("func", ["amplitude_damping", "t1t2_channel", "to_bds"])
def test_dm_function_given_bds(func):
    # Density-matrix-only functions name the shape they need when handed a Bell-diagonal array.
    name, fn = DM_FUNCTIONS[func]
    with pytest.raises(ValueError, match=rf"^{name} must be a two-qubit density matrix of shape \(\.\.\., 4, 4\), "
                                         r"got shape \(4,\)"):
        fn(LAM)


def test_complex_bds_asks_for_real_or_matrix():
    with pytest.raises(TypeError, match=r"^state is complex with shape \(4,\)"):
        qnet.fidelity(LAM + 0j)


# ---------------------------------------------------------------- the ambiguity rule of _validation.state
AMBIGUOUS_FUNCTIONS = {
    "to_qobj": lambda s: qnet.to_qobj(s),
    "idle": lambda s: qnet.idle(s, RATES, 1.0),
    "pauli_channel": lambda s: qnet.pauli_channel(s, [1.0, 0.0, 0.0, 0.0]),
    **{name: (lambda f: lambda s: f(s))(fn) for name, fn in MEASURES.items()},
}


@pytest.mark.parametrize("func", sorted(AMBIGUOUS_FUNCTIONS))
def test_ambiguous_real_4x4_asks_for_form(func):
    with pytest.raises(ValueError, match=r"^state of shape \(4, 4\) is valid both as density matrices and as a batch "
                                         r"of Bell-diagonal states; pass form='dm' or form='bds'"):
        AMBIGUOUS_FUNCTIONS[func](AMBIGUOUS)


def test_ambiguous_batch_asks_for_form():
    with pytest.raises(ValueError, match=r"state of shape \(2, 4, 4\) is valid both.*form="):
        qnet.fidelity(np.stack([AMBIGUOUS, AMBIGUOUS]))


def test_ambiguous_large_batch_asks_for_form():
    # Large arrays take compiled validation paths; the ambiguity rule must still apply to them.
    with pytest.raises(ValueError, match=r"state of shape \(300, 4, 4\) is valid both.*form="):
        qnet.idle(np.full((300, 4, 4), 0.25), RATES, 1.0)


def test_real_4x4_valid_only_as_dm_is_read_as_dm():
    # diag(1/2, 0, 0, 1/2)... is a valid DM; its rows [1/2, 0, 0, 0] do not sum to 1 -> read as a density matrix.
    rho = np.zeros((4, 4))
    rho[0, 0] = rho[3, 3] = rho[0, 3] = rho[3, 0] = 0.5
    assert qnet.fidelity(rho) == pytest.approx(1.0)


def test_real_4x4_valid_only_as_bds_is_read_as_bds():
    # Rows each a valid BDS, but the matrix has trace 0.4 + 0.1 + 0.1 + 0.1 != 1 -> read as four BDS.
    lam = np.array([[0.4, 0.2, 0.2, 0.2], [0.3, 0.1, 0.3, 0.3], [0.1, 0.1, 0.1, 0.7], [0.1, 0.1, 0.7, 0.1]])
    np.testing.assert_allclose(qnet.fidelity(lam), lam[:, 0])


def test_real_4x4_valid_as_neither_reports_both():
    bad = np.ones((4, 4))
    with pytest.raises(ValueError, match=r"state of shape \(4, 4\) is not a valid state; as a density matrix: .*trace"
                                         r".*; as Bell-diagonal states: .*sum to 1"):
        qnet.fidelity(bad)


# ---------------------------------------------------------------- string options
OPTION_CASES = [
    _case(lambda: qnet.bell_state("phi+"), ValueError, r"unknown label 'phi\+'; valid values are 'Phi\+', 'Phi-'",
          "bell_state-lowercase"),
    _case(lambda: qnet.bell_state(""), ValueError, r"unknown label ''", "bell_state-empty"),
    _case(lambda: qnet.bell_state(None), TypeError, r"label must be a string", "bell_state-none"),
    _case(lambda: qnet.bell_state(0), TypeError, r"label must be a string.*got int 0", "bell_state-int"),
    _case(lambda: qnet.to_qobj(LAM, form="density"), ValueError, r"unknown form 'density'; valid values are 'auto', "
          r"'bds', 'dm'", "to_qobj-form"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, form="BDS"), ValueError, r"unknown form 'BDS'", "idle-form"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, form=None), TypeError, r"form must be a string", "idle-form-none"),
    _case(lambda: qnet.pauli_channel(LAM, [1, 0, 0, 0], form="x"), ValueError, r"unknown form 'x'",
          "pauli_channel-form"),
    _case(lambda: qnet.pauli_channel(LAM, [1, 0, 0, 0], "C"), ValueError,
          r"unknown qubit 'C'; valid values are 'both', 'A', 'B'", "pauli_channel-qubit"),
    _case(lambda: qnet.pauli_channel(LAM, [1, 0, 0, 0], "a"), ValueError, r"unknown qubit 'a'",
          "pauli_channel-qubit-lowercase"),
    _case(lambda: qnet.pauli_channel(LAM, [1, 0, 0, 0], 0), TypeError, r"qubit must be a string",
          "pauli_channel-qubit-int"),
    _case(lambda: qnet.amplitude_damping(RHO, 0.1, "AB"), ValueError, r"unknown qubit 'AB'",
          "amplitude_damping-qubit"),
    _case(lambda: qnet.t1t2_channel(RHO, MEM, 0.1, qubit="left"), ValueError, r"unknown qubit 'left'",
          "t1t2_channel-qubit"),
]
OPTION_CASES += [
    _case((lambda f: lambda: f(LAM, form="qobj"))(fn), ValueError, r"unknown form 'qobj'", f"{name}-form")
    for name, fn in MEASURES.items()
]


@pytest.mark.parametrize("fn,exc,match", OPTION_CASES)
def test_bad_option(fn, exc, match):
    _check(fn, exc, match)


def test_ree_on_density_matrix_points_to_to_bds():
    with pytest.raises(ValueError, match=r"relative_entropy_of_entanglement has a closed form for Bell-diagonal "
                                         r"states only.*qnet\.to_bds"):
        qnet.relative_entropy_of_entanglement(RHO)


# ---------------------------------------------------------------- real parameters: ranges and types
REAL_CASES = [
    # werner(F), F in [0, 1]
    _case(lambda: qnet.werner(1.1), ValueError, r"F must lie in \[0\.0, 1\.0\], got 1\.1", "werner-above-1"),
    _case(lambda: qnet.werner(-0.1), ValueError, r"F must lie in \[0\.0, 1\.0\], got -0\.1", "werner-negative"),
    _case(lambda: qnet.werner(NAN), ValueError, r"F must be finite, got nan", "werner-nan"),
    _case(lambda: qnet.werner(INF), ValueError, r"F must be finite, got inf", "werner-inf"),
    _case(lambda: qnet.werner([0.5, 2.0]), ValueError, r"F must lie in .*got 2\.0 at index \(1,\)", "werner-batch"),
    _case(lambda: qnet.werner("0.9"), TypeError, r"F must be a real number .*got str", "werner-string"),
    _case(lambda: qnet.werner(None), TypeError, r"F must be a real number .*got NoneType", "werner-none"),
    _case(lambda: qnet.werner(0.9 + 0.1j), TypeError, r"F must be real, got complex", "werner-complex"),
    # binary_entropy(p)
    _case(lambda: qnet.binary_entropy(1.5), ValueError, r"p must lie in \[0\.0, 1\.0\], got 1\.5", "binary_entropy-1.5"),
    _case(lambda: qnet.binary_entropy(-0.5), ValueError, r"p must lie in .*got -0\.5", "binary_entropy-negative"),
    _case(lambda: qnet.binary_entropy(NAN), ValueError, r"p must be finite", "binary_entropy-nan"),
    _case(lambda: qnet.binary_entropy("a"), TypeError, r"p must be a real number", "binary_entropy-string"),
    _case(lambda: qnet.binary_entropy(0.5j), TypeError, r"p must be real", "binary_entropy-complex"),
    # pauli_rates(gamma, pattern) and shorthands
    _case(lambda: qnet.pauli_rates(-1.0, (1, 0, 0)), ValueError, r"gamma must be >= 0, got -1\.0", "pauli_rates-gamma"),
    _case(lambda: qnet.pauli_rates(NAN, (1, 0, 0)), ValueError, r"gamma must be finite", "pauli_rates-gamma-nan"),
    _case(lambda: qnet.pauli_rates("1", (1, 0, 0)), TypeError, r"gamma must be a real number", "pauli_rates-gamma-str"),
    _case(lambda: qnet.pauli_rates(1.0, (0.5, 0.5, 0.5)), ValueError,
          r"pattern \(a, b, c\) must lie on the simplex a \+ b \+ c = 1, got sum 1\.5", "pauli_rates-pattern-sum"),
    _case(lambda: qnet.pauli_rates(1.0, (1.5, -0.5, 0.0)), ValueError, r"pattern must be >= 0, got -0\.5",
          "pauli_rates-pattern-negative"),
    _case(lambda: qnet.pauli_rates(1.0, (0.5, 0.5)), ValueError, r"pattern must have last axis of length 3",
          "pauli_rates-pattern-shape"),
    _case(lambda: qnet.pauli_rates(1.0, None), TypeError, r"pattern must be a real number", "pauli_rates-pattern-none"),
    _case(lambda: qnet.pauli_rates([1.0, 2.0], np.tile([1.0, 0, 0], (3, 1))), ValueError,
          r"batch shapes do not broadcast: gamma batch shape \(2,\), pattern batch shape \(3,\)",
          "pauli_rates-mismatched-batch"),
    _case(lambda: qnet.depolarizing_rates(-1.0), ValueError, r"gamma must be >= 0", "depolarizing_rates-negative"),
    _case(lambda: qnet.dephasing_rates(NAN), ValueError, r"gamma must be finite", "dephasing_rates-nan"),
    _case(lambda: qnet.bit_flip_rates("x"), TypeError, r"gamma must be a real number", "bit_flip_rates-string"),
    # probability shorthands
    _case(lambda: qnet.depolarizing_probabilities(1.5), ValueError, r"p must lie in \[0\.0, 1\.33",
          "depolarizing_probabilities-above"),
    _case(lambda: qnet.depolarizing_probabilities(-0.1), ValueError, r"p must lie in", "depolarizing_probabilities-neg"),
    _case(lambda: qnet.depolarizing_probabilities(NAN), ValueError, r"p must be finite",
          "depolarizing_probabilities-nan"),
    _case(lambda: qnet.dephasing_probabilities(1.1), ValueError, r"p must lie in \[0\.0, 1\.0\], got 1\.1",
          "dephasing_probabilities-above"),
    _case(lambda: qnet.dephasing_probabilities("p"), TypeError, r"p must be a real number",
          "dephasing_probabilities-string"),
    _case(lambda: qnet.bit_flip_probabilities(-0.2), ValueError, r"p must lie in .*got -0\.2",
          "bit_flip_probabilities-negative"),
    _case(lambda: qnet.bit_flip_probabilities(0.1j), TypeError, r"p must be real", "bit_flip_probabilities-complex"),
]


@pytest.mark.parametrize("fn,exc,match", REAL_CASES)
def test_bad_real_parameter(fn, exc, match):
    _check(fn, exc, match)


# ---------------------------------------------------------------- rates and times (pauli_probabilities, eigenvalues, idle)
RATE_TIME_FUNCTIONS = {
    "pauli_probabilities": lambda rates, t: qnet.pauli_probabilities(rates, t),
    "pauli_transfer_eigenvalues": lambda rates, t: qnet.pauli_transfer_eigenvalues(rates, t),
    "idle_bds": lambda rates, t: qnet.idle(LAM, rates, t),
    "idle_dm": lambda rates, t: qnet.idle(RHO, rates, t),
}
BAD_RATES = [
    ("negative", [0.1, -0.2, 0.3], ValueError, r"rates must be >= 0, got -0\.2 at index \(1,\)"),
    ("nan", [0.1, NAN, 0.3], ValueError, r"rates must be finite, got nan"),
    ("inf", [INF, 0.0, 0.0], ValueError, r"rates must be finite, got inf"),
    ("two_entries", [0.1, 0.2], ValueError, r"rates must have last axis of length 3 \(gamma_x, gamma_y, gamma_z\)"),
    ("scalar", 0.1, ValueError, r"rates must have last axis of length 3.*got shape \(\)"),
    ("string", "depolarizing", TypeError, r"rates must be a real number"),
    ("none", None, TypeError, r"rates must be a real number"),
    ("complex", np.array([0.1, 0.2, 0.3]) + 0j, TypeError, r"rates must be real, got complex"),
]
BAD_TIMES = [
    ("negative", -1.0, ValueError, r"t must be >= 0, got -1\.0"),
    ("negative_in_array", [0.0, 1.0, -2.0], ValueError, r"t must be >= 0, got -2\.0 at index \(2,\)"),
    ("nan", NAN, ValueError, r"t must be finite, got nan"),
    ("inf", INF, ValueError, r"t must be finite, got inf"),
    ("string", "1s", TypeError, r"t must be a real number"),
    ("none", None, TypeError, r"t must be a real number"),
    ("complex", 1.0 + 0j, TypeError, r"t must be real, got complex"),
]


@pytest.mark.parametrize("case", BAD_RATES, ids=[c[0] for c in BAD_RATES])
@pytest.mark.parametrize("func", sorted(RATE_TIME_FUNCTIONS))
def test_bad_rates(func, case):
    _, value, exc, match = case
    _check(lambda: RATE_TIME_FUNCTIONS[func](value, 1.0), exc, match)


@pytest.mark.parametrize("case", BAD_TIMES, ids=[c[0] for c in BAD_TIMES])
@pytest.mark.parametrize("func", sorted(RATE_TIME_FUNCTIONS))
def test_bad_time(func, case):
    _, value, exc, match = case
    _check(lambda: RATE_TIME_FUNCTIONS[func](RATES, value), exc, match)


@pytest.mark.parametrize("func", ["pauli_probabilities", "pauli_transfer_eigenvalues"])
def test_rates_t1t2_memory_rejected(func):
    _check(lambda: RATE_TIME_FUNCTIONS[func](MEM, 1.0), TypeError, r"rates must be Pauli rates here, got a T1T2Memory")


@pytest.mark.parametrize("func", ["pauli_probabilities", "pauli_transfer_eigenvalues"])
def test_rates_times_mismatched_batch(func):
    _check(lambda: RATE_TIME_FUNCTIONS[func](np.ones((2, 3)), np.ones(3)), ValueError,
           r"batch shapes do not broadcast: rates batch shape \(2,\), t batch shape \(3,\)")


IDLE_CASES = [
    _case(lambda: qnet.idle(LAM, RATES, 1.0, rates_b=[-0.1, 0, 0]), ValueError, r"rates_b must be >= 0, got -0\.1",
          "rates_b-negative"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, rates_b=[NAN, 0, 0]), ValueError, r"rates_b must be finite",
          "rates_b-nan"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, rates_b="x"), TypeError, r"rates_b must be a real number",
          "rates_b-string"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, rates_b=[0.1, 0.2]), ValueError, r"rates_b must have last axis of length 3",
          "rates_b-shape"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, t_b=-0.5), ValueError, r"t_b must be >= 0, got -0\.5", "t_b-negative"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, t_b=NAN), ValueError, r"t_b must be finite", "t_b-nan"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, t_b="x"), TypeError, r"t_b must be a real number", "t_b-string"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, t_b=1j), TypeError, r"t_b must be real", "t_b-complex"),
    _case(lambda: qnet.idle(LAM, MEM, 1.0), ValueError,
          r"rates is a T1T2Memory, which leaves the Bell-diagonal family, but state is Bell-diagonal; pass a density "
          r"matrix", "t1t2-memory-on-bds"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, rates_b=MEM), ValueError, r"rates_b is a T1T2Memory.*state is "
          r"Bell-diagonal", "t1t2-memory-b-on-bds"),
    _case(lambda: qnet.idle(np.tile(LAM, (3, 1)), RATES, np.ones(2)), ValueError,
          r"batch shapes do not broadcast: state batch shape \(3,\), t batch shape \(2,\)", "state-vs-t-batch"),
    _case(lambda: qnet.idle(LAM, RATES, np.ones(2), t_b=np.ones(3)), ValueError,
          r"batch shapes do not broadcast: .*t batch shape \(2,\), t_b batch shape \(3,\)", "t-vs-t_b-batch"),
    _case(lambda: qnet.idle(np.tile(LAM, (3, 1)), np.ones((2, 3)), 1.0), ValueError,
          r"batch shapes do not broadcast: state batch shape \(3,\).*rates batch shape \(2,\)", "state-vs-rates-batch"),
    _case(lambda: qnet.idle(LAM, RATES, 1.0, rates_b=np.ones((2, 3)), t_b=np.ones(3)), ValueError,
          r"batch shapes do not broadcast: .*t_b batch shape \(3,\).*rates_b batch shape \(2,\)",
          "t_b-vs-rates_b-batch"),
    _case(lambda: qnet.idle(np.stack([RHO] * 3), RATES, np.ones(2)), ValueError,
          r"batch shapes do not broadcast: state batch shape \(3,\), t batch shape \(2,\)", "dm-state-vs-t-batch"),
]


@pytest.mark.parametrize("fn,exc,match", IDLE_CASES)
def test_bad_idle(fn, exc, match):
    _check(fn, exc, match)


# ---------------------------------------------------------------- pauli_channel probabilities, amplitude damping, T1/T2
CHANNEL_CASES = [
    _case(lambda: qnet.pauli_channel(LAM, [0.5, 0.25, 0.25, 0.125]), ValueError,
          r"probs must sum to 1 \(tolerance 1e-09\), got sum 1\.125", "pauli_channel-probs-sum"),
    _case(lambda: qnet.pauli_channel(LAM, [1.2, -0.2, 0.0, 0.0]), ValueError, r"probs must be >= 0, got -0\.2",
          "pauli_channel-probs-negative"),
    _case(lambda: qnet.pauli_channel(LAM, [NAN, 0, 0, 0]), ValueError, r"probs must be finite",
          "pauli_channel-probs-nan"),
    _case(lambda: qnet.pauli_channel(LAM, [0.5, 0.25, 0.25]), ValueError,
          r"probs must be Pauli error probabilities \[pI, pZ, pX, pY\] \(last axis of length 4\), got shape \(3,\)",
          "pauli_channel-probs-shape"),
    _case(lambda: qnet.pauli_channel(LAM, "dephasing"), TypeError, r"probs must be a real number",
          "pauli_channel-probs-string"),
    _case(lambda: qnet.pauli_channel(LAM, None), TypeError, r"probs must be a real number", "pauli_channel-probs-none"),
    _case(lambda: qnet.pauli_channel(np.tile(LAM, (3, 1)), np.tile([1.0, 0, 0, 0], (2, 1))), ValueError,
          r"batch shapes do not broadcast: state batch shape \(3,\), probs batch shape \(2,\)",
          "pauli_channel-mismatched-batch"),
    _case(lambda: qnet.amplitude_damping(RHO, 1.5), ValueError, r"gamma must lie in \[0\.0, 1\.0\], got 1\.5",
          "amplitude_damping-gamma-above"),
    _case(lambda: qnet.amplitude_damping(RHO, -0.5), ValueError, r"gamma must lie in .*got -0\.5",
          "amplitude_damping-gamma-negative"),
    _case(lambda: qnet.amplitude_damping(RHO, NAN), ValueError, r"gamma must be finite", "amplitude_damping-gamma-nan"),
    _case(lambda: qnet.amplitude_damping(RHO, "0.1"), TypeError, r"gamma must be a real number",
          "amplitude_damping-gamma-string"),
    _case(lambda: qnet.amplitude_damping(RHO, 0.1j), TypeError, r"gamma must be real",
          "amplitude_damping-gamma-complex"),
    _case(lambda: qnet.amplitude_damping(np.stack([RHO] * 3), np.ones(2) * 0.1), ValueError,
          r"batch shapes do not broadcast: rho batch shape \(3,\), gamma batch shape \(2,\)",
          "amplitude_damping-mismatched-batch"),
    _case(lambda: qnet.t1t2_channel(RHO, qnet.PauliMemory(0.1, 0.1, 0.1), 1.0), TypeError,
          r"memory must be a T1T2Memory, got PauliMemory", "t1t2_channel-pauli-memory"),
    _case(lambda: qnet.t1t2_channel(RHO, (1.0, 1.0), 1.0), TypeError, r"memory must be a T1T2Memory, got tuple",
          "t1t2_channel-tuple"),
    _case(lambda: qnet.t1t2_channel(RHO, MEM, -1.0), ValueError, r"t must be >= 0, got -1\.0", "t1t2_channel-t-neg"),
    _case(lambda: qnet.t1t2_channel(RHO, MEM, NAN), ValueError, r"t must be finite", "t1t2_channel-t-nan"),
    _case(lambda: qnet.t1t2_channel(RHO, MEM, "1"), TypeError, r"t must be a real number", "t1t2_channel-t-string"),
    _case(lambda: qnet.t1t2_channel(np.stack([RHO] * 3), MEM, np.ones(2)), ValueError,
          r"batch shapes do not broadcast: rho batch shape \(3,\), t batch shape \(2,\)", "t1t2_channel-mismatched"),
]


@pytest.mark.parametrize("fn,exc,match", CHANNEL_CASES)
def test_bad_channel_argument(fn, exc, match):
    _check(fn, exc, match)


# ---------------------------------------------------------------- memory records
MEMORY_CASES = [
    _case(lambda: qnet.PauliMemory(-0.1, 0.0, 0.0), ValueError, r"gx must be >= 0, got -0\.1", "PauliMemory-gx-neg"),
    _case(lambda: qnet.PauliMemory(0.0, -1.0, 0.0), ValueError, r"gy must be >= 0, got -1\.0", "PauliMemory-gy-neg"),
    _case(lambda: qnet.PauliMemory(0.0, 0.0, -2.0), ValueError, r"gz must be >= 0, got -2\.0", "PauliMemory-gz-neg"),
    _case(lambda: qnet.PauliMemory(NAN, 0.0, 0.0), ValueError, r"gx must be finite, got nan", "PauliMemory-nan"),
    _case(lambda: qnet.PauliMemory(0.0, INF, 0.0), ValueError, r"gy must be finite, got inf", "PauliMemory-inf"),
    _case(lambda: qnet.PauliMemory("0.1", 0.0, 0.0), TypeError, r"gx must be a real number, got str",
          "PauliMemory-string"),
    _case(lambda: qnet.PauliMemory(0.0, None, 0.0), TypeError, r"gy must be a real number, got NoneType",
          "PauliMemory-none"),
    _case(lambda: qnet.PauliMemory(0.0, 0.0, 0.1j), TypeError, r"gz must be a real number, got complex",
          "PauliMemory-complex"),
    _case(lambda: qnet.PauliMemory(True, 0.0, 0.0), TypeError, r"gx must be a real number, got bool",
          "PauliMemory-bool"),
    _case(lambda: qnet.PauliMemory([0.1], 0.0, 0.0), TypeError, r"gx must be a real number, got list",
          "PauliMemory-list"),
    _case(lambda: qnet.PauliMemory.from_pattern(1.0, (0.2, 0.2, 0.2)), ValueError, r"pattern .*simplex.*got sum 0\.6",
          "PauliMemory.from_pattern-sum"),
    _case(lambda: qnet.PauliMemory.from_pattern(-1.0, (1, 0, 0)), ValueError, r"gamma must be >= 0",
          "PauliMemory.from_pattern-gamma"),
    _case(lambda: qnet.PauliMemory.depolarizing(-1.0), ValueError, r"gamma must be >= 0",
          "PauliMemory.depolarizing-negative"),
    _case(lambda: qnet.PauliMemory.dephasing(NAN), ValueError, r"gz must be finite", "PauliMemory.dephasing-nan"),
    _case(lambda: qnet.PauliMemory.bit_flip(-1.0), ValueError, r"gx must be >= 0", "PauliMemory.bit_flip-negative"),
    _case(lambda: qnet.T1T2Memory(0.0, 1.0), ValueError, r"T1 must be > 0 \(inf allowed\), got 0\.0", "T1T2-T1-zero"),
    _case(lambda: qnet.T1T2Memory(-1.0, 1.0), ValueError, r"T1 must be > 0 .*got -1\.0", "T1T2-T1-negative"),
    _case(lambda: qnet.T1T2Memory(NAN, 1.0), ValueError, r"T1 must be > 0 .*got nan", "T1T2-T1-nan"),
    _case(lambda: qnet.T1T2Memory(1.0, 0.0), ValueError, r"T2 must be > 0 .*got 0\.0", "T1T2-T2-zero"),
    _case(lambda: qnet.T1T2Memory(1.0, -INF), ValueError, r"T2 must be > 0 .*got -inf", "T1T2-T2-minus-inf"),
    _case(lambda: qnet.T1T2Memory(1.0, 2.5), ValueError, r"T2 must be <= 2\*T1 .*got T1=1\.0, T2=2\.5",
          "T1T2-T2-above-2T1"),
    _case(lambda: qnet.T1T2Memory(1.0, INF), ValueError, r"T2 must be <= 2\*T1", "T1T2-T2-inf-with-finite-T1"),
    _case(lambda: qnet.T1T2Memory("1", 1.0), TypeError, r"T1 must be a real number, got str", "T1T2-string"),
    _case(lambda: qnet.T1T2Memory(1.0, None), TypeError, r"T2 must be a real number, got NoneType", "T1T2-none"),
    _case(lambda: qnet.T1T2Memory(1.0 + 0j, 1.0), TypeError, r"T1 must be a real number, got complex",
          "T1T2-complex"),
]


@pytest.mark.parametrize("fn,exc,match", MEMORY_CASES)
def test_bad_memory(fn, exc, match):
    _check(fn, exc, match)


def test_error_messages_name_value_and_range():
    # One representative per validator, checked for parameter, value and allowed range in one message.
    with pytest.raises(ValueError) as info:
        qnet.werner(1.5)
    msg = str(info.value)
    assert "F" in msg and "1.5" in msg and re.search(r"\[0\.0, 1\.0\]", msg)
    with pytest.raises(ValueError) as info:
        qnet.idle(LAM, RATES, -3.0)
    msg = str(info.value)
    assert msg.startswith("t ") and "-3.0" in msg and ">= 0" in msg


# ---------------------------------------------------------------- compiled checks agree with the numpy validator
_perturbations = st.one_of(
    st.sampled_from([0.0, 1e-9, -1e-9, 1.0000001e-9, -1.0000001e-9, 0.999999e-9, 1e-12, -1e-12, -1.0001e-12,
                     -2e-12, NAN, INF, -INF, 0.5, -0.5]),
    st.floats(min_value=-2e-9, max_value=2e-9),
)


@given(st.integers(0, 1099), st.integers(0, 3), _perturbations, st.booleans())
def test_compiled_bds_checks_agree_with_numpy(row, col, delta, compensate):
    # A large C-contiguous batch goes through the compiled checks (bell_diagonal) and the fused idle kernel;
    # the same values in Fortran order go through the numpy validator. Accept/reject and values must agree.
    lam = np.random.default_rng(row).dirichlet(np.ones(4), size=1100)
    lam[row, col] += delta
    if compensate and np.isfinite(delta):
        lam[row, (col + 1) % 4] -= delta  # keeps the sum, may create a small negative entry
    fortran = np.asfortranarray(lam)
    assert lam.flags.c_contiguous and not fortran.flags.c_contiguous

    def outcome(fn, arr):
        try:
            return fn(arr)
        except ValueError as exc:
            return str(exc)

    for fn in (qnet.bell_diagonal, lambda a: qnet.idle(a, RATES, 0.7, rates_b=[0.0, 0.1, 0.0], t_b=0.2)):
        fast, slow = outcome(fn, lam), outcome(fn, fortran)
        if isinstance(slow, str):
            assert fast == slow
        else:
            assert not isinstance(fast, str), fast
            np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("call, keywords", [
    (lambda: qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, 5, "memory_time", 300),
     "cutoff=, cut_type=, t_trunc="),
    (lambda: qnet.simulate_chain(("swap",), 0.5, 1.0, 0.9, 100.0, 5), "cutoff="),
    (lambda: qnet.optimal_purification_time(qnet.werner(0.9), qnet.werner(0.9), (0.0, 0.0, 1.0), 0.01, 0.1,
                                            "fidelity", None, "dejmps"), "fom=, weighted=, protocol="),
    (lambda: qnet.timeline_value(qnet.werner(0.9), qnet.werner(0.9), (0.0, 0.0, 1.0), 0.01, 0.1, 0.05, "fidelity"),
     "fom="),
    (lambda: qnet.purification_gain(qnet.werner(0.9), qnet.werner(0.8), "dejmps", "fidelity", "better"),
     "fom=, baseline="),
])
def test_positional_options_still_work_with_a_future_warning(call, keywords):
    """Options became keyword-only in 0.2; a positional call still runs, with a FutureWarning naming the keywords
    (that its result equals the call by keyword: the next test)."""
    with pytest.warns(FutureWarning, match=keywords):
        call()


def test_positional_options_give_the_keyword_result_and_are_not_given_twice():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, 5, "memory_time", 300)
        with pytest.raises(TypeError, match="multiple values for argument 'cutoff'"):
            qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, 5, cutoff=6)
        with pytest.raises(TypeError, match="at most 8 positional arguments"):
            qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, 5, "memory_time", 300, 1e-6)
    new = qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, cutoff=5, t_trunc=300)
    assert np.array_equal(old.pmf, new.pmf) and np.array_equal(old.state, new.state, equal_nan=True)
