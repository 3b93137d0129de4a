"""The timing model's engine tier: validation of times, memories and states, and the vectorized timeline that
idles, purifies and idles again (:class:`_Timeline`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as _v
from ..channels import idle
from ..circuits import CIRCUITS, WIDE_CIRCUITS
from ..measures import FigureOfMerit
from ..noise import OperationNoise
from .._bell import bds_idle, bds_to_dm, transfer_eta
from .._arguments import pauli_rate_array
from ..memories import T1T2Memory
from .._distil import bds_purify, dm_purify

__all__ = ["POLICIES"]

#: Purification-time policies compared under probabilistic generation.
POLICIES = ("immediate", "deadline", "optimal", "none")


#: When the consumption deadline of a :class:`LinkGeneration` counts from: link 1 or link 2.
DEADLINES = ("first", "second")


# ---------------------------------------------------------------- validation helpers
def _times(t1: Any, t2: Any) -> tuple[np.ndarray, np.ndarray]:
    t1 = _v.nonnegative(t1, "t1")
    t2 = _v.nonnegative(t2, "t2")
    try:
        bad = np.broadcast_to(t2 < t1, np.broadcast_shapes(t1.shape, t2.shape))
    except ValueError:
        raise ValueError(f"t1 (shape {t1.shape}) and t2 (shape {t2.shape}) do not broadcast") from None
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        b1, b2 = np.broadcast_arrays(t1, t2)
        raise ValueError(f"t2 must be >= t1 (consumption after the second link), got t1={b1[idx]!r}, t2={b2[idx]!r}")
    return t1, t2


def _memories(memory: Any, memory_second: Any, kind: str) -> tuple[Any, Any]:
    """Validated memories of link 1 (and the output) and of link 2: Pauli rate arrays or T1T2Memory."""

    def one(value, name):
        if isinstance(value, T1T2Memory):
            if kind == "bds":
                raise ValueError(
                    f"{name} is a T1T2Memory, which leaves the Bell-diagonal family; pass density matrices "
                    "(qnet.to_density_matrix) as first and second"
                )
            return value
        return pauli_rate_array(value, name)

    mem1 = one(memory, "memory")
    mem2 = mem1 if memory_second is None else one(memory_second, "memory_second")
    return mem1, mem2


def _states(first: Any, second: Any, form: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The two pairs in one state form: a Bell-diagonal pair next to a density matrix is promoted (as in purify)."""
    kind1, lam = _v.state(first, "first", form)
    kind2, mu = _v.state(second, "second", form)
    if kind1 == kind2:
        return kind1, lam, mu
    return "dm", (bds_to_dm(lam) if kind1 == "bds" else lam), (bds_to_dm(mu) if kind2 == "bds" else mu)


# ---------------------------------------------------------------- the timeline
def _prepare(kind, lam, mu, mem1, mem2, t1, t2, protocol, noise, extra=None) -> "_Timeline":
    """Validated inputs broadcast to one batch shape (views, no copies)."""
    f, q = np.asarray(noise.gate_fidelity), np.asarray(noise.measurement_error)
    core = 1 if kind == "bds" else 2
    parts = {"first": lam, "second": mu, "t1": t1, "t2": t2, "gate_fidelity": f, "measurement_error": q,
             **(extra or {})}
    cores = {"first": core, "second": core}
    for name, mem in (("memory", mem1), ("memory_second", mem2)):
        if not isinstance(mem, T1T2Memory):
            parts[name] = mem
            cores[name] = 1
    shape = _v.broadcast(parts, core=cores)

    def fit(a, c=0):
        return a if isinstance(a, T1T2Memory) else np.broadcast_to(a, shape + np.shape(a)[np.ndim(a) - c:])

    return _Timeline(kind, shape, fit(lam, core), fit(mu, core), fit(mem1, 1), fit(mem2, 1), fit(t1), fit(t2),
                     protocol, fit(f), fit(q))


def _stand_in(out: np.ndarray, p: np.ndarray, mixed: np.ndarray) -> np.ndarray:
    """Where a purification fails with certainty there is no output state: stand in the maximally mixed one
    (a valid state, so idling and the figures of merit stay finite; it is weighted by p = 0 or refused)."""
    failed = p <= 0.0
    return np.where(failed.reshape(failed.shape + (1,) * mixed.ndim), mixed, out) if failed.any() else out


@dataclass(frozen=True)
class _Timeline:
    """Validated, broadcast inputs of the timing model; ``run(t)`` evaluates EPP times ``t`` of shape (n, *shape)."""

    kind: str
    shape: tuple
    lam: np.ndarray
    mu: np.ndarray
    mem1: Any
    mem2: Any
    t1: np.ndarray
    t2: np.ndarray
    protocol: str
    gate_fidelity: np.ndarray
    measurement_error: np.ndarray

    def run(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(state at t2, success probability) for EPP times ``t`` whose trailing axes are the batch shape."""
        lead = (None,) * (t.ndim - len(self.shape))
        t1, t2 = self.t1[lead], self.t2[lead]
        noise = (self.gate_fidelity[lead], self.measurement_error[lead])
        if self.kind == "bds":
            eta1 = transfer_eta(self.mem1[lead], t)
            lam_t = bds_idle(self.lam[lead], eta1, eta1)
            eta2 = transfer_eta(self.mem2[lead], t - t1)
            mu_t = bds_idle(self.mu[lead], eta2, eta2)
            out, p = self._purify(lam_t, mu_t, noise)
            out = _stand_in(out, p, np.full(4, 0.25))
            eta3 = transfer_eta(self.mem1[lead], t2 - t)
            return bds_idle(out, eta3, eta3), p
        full = t.shape
        lift = (lambda m: m if isinstance(m, T1T2Memory) else np.broadcast_to(m[lead], full + (3,)))
        rho = idle(np.broadcast_to(self.lam[lead], full + (4, 4)), lift(self.mem1), t, form="dm")
        sig = idle(np.broadcast_to(self.mu[lead], full + (4, 4)), lift(self.mem2), t - t1, form="dm")
        out, p = self._purify(rho, sig, noise)
        out = _stand_in(out, p, np.eye(4) / 4.0)
        return idle(out, lift(self.mem1), t2 - t, form="dm"), p

    def _purify(self, kept: np.ndarray, other: np.ndarray, noise: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The EPP on link 1 and link 2 (``k - 1`` copies of link 2 for a circuit of ``k`` pairs)."""
        if self.protocol in WIDE_CIRCUITS:  # link 1 with k - 1 copies of link 2
            c = CIRCUITS[self.protocol]
            return c.outcome(kept, *[other] * (c.arity - 1), noise=OperationNoise(*noise), form=self.kind)
        if self.kind == "bds":
            return bds_purify(kept, other, self.protocol, *noise)
        return dm_purify(kept, other, self.protocol, noise[0], noise[1])

    def run_successful(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`run`, raising where the purification fails with certainty (no output state exists)."""
        state, p = self.run(t)
        failed = p <= 0.0
        if failed.any():
            idx = tuple(int(i) for i in np.argwhere(failed)[0])
            tb = np.broadcast_to(t, p.shape)
            raise ValueError(
                f"the purification at t={float(tb[idx])!r}{f' (batch index {idx})' if idx else ''} fails with "
                f"certainty (success probability 0): the outcomes never agree, so no output state exists; "
                f"weighted=True counts a failure as 0"
            )
        return state, p

    def value(self, t: np.ndarray, fom: FigureOfMerit) -> tuple[np.ndarray, np.ndarray]:
        """(figure of merit, success probability) at EPP times ``t``.

        Weighted, a certain failure (``p = 0``) counts as 0; unweighted it has no value and raises.
        """
        state, p = self.run(t) if fom.weighted else self.run_successful(t)
        val = fom(state, self.kind)
        return (val * p if fom.weighted else val), p

    def _alone(self, state: np.ndarray, memory: Any, wait: np.ndarray, fom: FigureOfMerit) -> np.ndarray:
        if self.kind == "bds":
            eta = transfer_eta(memory, wait)
            return fom(bds_idle(state, eta, eta))
        return fom(idle(state, memory, wait, form="dm"), "dm")

    def baseline(self, fom: FigureOfMerit) -> np.ndarray:
        """Figure of merit of link 2 alone, idled from t1 to t2 (no purification)."""
        return self._alone(self.mu, self.mem2, self.t2 - self.t1, fom)

    def older(self, fom: FigureOfMerit) -> np.ndarray:
        """Figure of merit of link 1 alone, idled from 0 to t2."""
        return self._alone(self.lam, self.mem1, self.t2, fom)


_ULPS = 4  # EPP times this many ulps outside [t1, t2] are clipped onto the interval
