"""Elementary links: lossy channels, heralded entanglement-generation schemes and repeaterless bounds.

Channels are small frozen records: :class:`FibreChannel` (``η = 10^(−αL/10)``,
α = 0.2 dB/km at 1550 nm by default, light at 2×10^5 km/s) and
:class:`FreeSpaceChannel` (a given loss in dB). A heralding scheme
(:class:`SingleClick`, :class:`DoubleClick`, :class:`MidpointSource`,
:class:`SenderReceiver`) takes a channel spanning the whole link plus
hardware efficiencies and answers four questions:

* ``success_probability()``: probability that one attempt heralds a pair
  (with ``modes`` multiplexed modes, ``1 − (1 − p₁)^M``);
* ``attempt_duration()``: seconds per attempt, including the classical
  heralding signal;
* ``state()``: the heralded state as a BDS ``[Φ+, Φ−, Ψ+, Ψ−]`` after the
  scheme's local Pauli correction (schemes that herald ``Ψ±`` apply an X on
  the second node, and a Z as well for ``Ψ−``). Where the exact heralded state is not Bell diagonal
  (e.g. ``|↑↑⟩`` admixtures of single-click), ``state()`` is its Bell-diagonal
  part (the twirl), which keeps the fidelity;
* ``rate()``: heralded pairs per second, ``success_probability() / attempt_duration()``.

Per-photon efficiency of one node's photon up to its detector is
``source_efficiency × coupling_efficiency × channel part × detector_efficiency``;
``dark_count_probability`` is the probability that a detector clicks without
a photon in one detection window. Dark counts are independent of photons and of
each other; a herald caused by a dark count is counted as a success with the
state it actually leaves (derived per scheme in the docstrings).

The repeaterless bounds of Pirandola, Laurenza, Ottaviani, Banchi (PLOB),
Nat. Commun. 8, 15043 (2017) and Takeoka, Guha, Wilde (TGW), Nat. Commun. 5,
5235 (2014) are :func:`plob_bound`, :func:`tgw_bound`; the bound for a chain of
equal segments (Pirandola, Commun. Phys. 2, 51 (2019)) is :func:`repeater_chain_bound`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from . import _validation as _v
from ._bell import werner_rows

__all__ = [
    "FIBRE_LIGHT_SPEED_KM_S",
    "VACUUM_LIGHT_SPEED_KM_S",
    "fibre_transmissivity",
    "db_to_transmissivity",
    "FibreChannel",
    "FreeSpaceChannel",
    "SingleClick",
    "DoubleClick",
    "MidpointSource",
    "SenderReceiver",
    "LINK_SCHEMES",
    "plob_bound",
    "tgw_bound",
    "repeater_chain_bound",
]

#: Speed of light in optical fibre (km/s), see :doc:`/conventions`.
FIBRE_LIGHT_SPEED_KM_S = 2.0e5
#: Speed of light in vacuum (km/s), used for free-space links.
VACUUM_LIGHT_SPEED_KM_S = 299_792.458


def db_to_transmissivity(loss_db: Any) -> np.ndarray:
    """Transmissivity ``10^(−loss/10)`` of a loss in dB (>= 0).

    Examples
    --------
    >>> import qnet
    >>> float(qnet.db_to_transmissivity(30.0))
    0.001
    """
    return 10.0 ** (-_v.nonnegative(loss_db, "loss_db") / 10.0)


def fibre_transmissivity(length_km: Any, attenuation_db_per_km: Any = 0.2) -> np.ndarray:
    """Fibre transmissivity ``η = 10^(−αL/10)``.

    Parameters
    ----------
    length_km : float or array_like
        Fibre length in km (>= 0).
    attenuation_db_per_km : float or array_like
        α in dB/km (>= 0); 0.2 dB/km is telecom fibre at 1550 nm.

    Examples
    --------
    >>> import qnet
    >>> float(qnet.fibre_transmissivity(50.0))
    0.1
    """
    L = _v.nonnegative(length_km, "length_km")
    a = _v.nonnegative(attenuation_db_per_km, "attenuation_db_per_km")
    _v.broadcast({"length_km": L, "attenuation_db_per_km": a})
    return 10.0 ** (-a * L / 10.0)


def _scalar(value: Any, name: str) -> float:
    return _v.real_number(value, name)


class _Channel:
    """What every channel shares: validated fields, ``transmissivity`` from ``loss_db``, ``delay_s``."""

    _NONNEGATIVE: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in self._NONNEGATIVE:
            object.__setattr__(self, name, float(_v.nonnegative(_scalar(getattr(self, name), name), name)))
        object.__setattr__(self, "speed_km_s", float(_v.positive(_scalar(self.speed_km_s, "speed_km_s"),
                                                                 "speed_km_s")))

    @property
    def transmissivity(self) -> float:
        """``η = 10^(−loss_db/10)``."""
        return 10.0 ** (-self.loss_db / 10.0)

    @property
    def delay_s(self) -> float:
        """One-way travel time of light over the link (s)."""
        return self.length_km / self.speed_km_s


@dataclass(frozen=True)
class FibreChannel(_Channel):
    """Optical fibre of ``length_km`` with attenuation ``attenuation_db_per_km`` (default 0.2 dB/km).

    Examples
    --------
    >>> import qnet
    >>> ch = qnet.FibreChannel(100.0)
    >>> ch.loss_db, ch.transmissivity, ch.delay_s
    (20.0, 0.01, 0.0005)
    """

    length_km: float
    attenuation_db_per_km: float = 0.2
    speed_km_s: float = FIBRE_LIGHT_SPEED_KM_S

    _NONNEGATIVE = ("length_km", "attenuation_db_per_km")

    @property
    def loss_db(self) -> float:
        """Total loss ``αL`` in dB."""
        return self.attenuation_db_per_km * self.length_km

    def split(self, parts: int = 2) -> "FibreChannel":
        """One of ``parts`` (an integer >= 1) equal pieces of this fibre (e.g. node-to-midpoint)."""
        parts = _v.integer(parts, "parts", 1)
        return FibreChannel(self.length_km / parts, self.attenuation_db_per_km, self.speed_km_s)


@dataclass(frozen=True)
class FreeSpaceChannel(_Channel):
    """Free-space link with a given total loss (dB) and length (km, for the travel time).

    Loss includes diffraction, atmosphere and telescope coupling, as measured
    (e.g. 32 dB on average over the 143 km La Palma–Tenerife link, Herbst et al.
    PNAS 112, 14202 (2015)).

    Examples
    --------
    >>> import qnet
    >>> ch = qnet.FreeSpaceChannel(loss_db=30.0, length_km=143.0)
    >>> round(ch.transmissivity, 12)
    0.001
    """

    loss_db: float
    length_km: float = 0.0
    speed_km_s: float = VACUUM_LIGHT_SPEED_KM_S

    _NONNEGATIVE = ("loss_db", "length_km")

    def split(self, parts: int = 2) -> "FreeSpaceChannel":
        """One of ``parts`` (an integer >= 1) equal pieces (loss in dB and length divided equally)."""
        parts = _v.integer(parts, "parts", 1)
        return FreeSpaceChannel(self.loss_db / parts, self.length_km / parts, self.speed_km_s)


_CHANNELS = (FibreChannel, FreeSpaceChannel)

# Bell-diagonal parts used by the schemes, in the Ψ frame (before the X correction).
_PSI_MIX = np.array([0.0, 0.0, 0.5, 0.5])  # incoherent |01>,|10> mixture
_PHI_MIX = np.array([0.5, 0.5, 0.0, 0.0])  # |00> or |11>
_MIXED = np.full(4, 0.25)


def _psi_to_phi(lam: np.ndarray) -> np.ndarray:
    """X on the second qubit maps Ψ± to Φ±: slot k -> k ^ 2."""
    return lam[..., [2, 3, 0, 1]]


@dataclass(frozen=True)
class _Heralding:
    """Fields and methods shared by every heralding scheme (not public)."""

    channel: FibreChannel | FreeSpaceChannel
    source_efficiency: float = 1.0
    coupling_efficiency: float = 1.0
    detector_efficiency: float = 1.0
    dark_count_probability: float = 0.0
    modes: int = 1
    preparation_time_s: float = 0.0

    _PROBABILITIES = ("source_efficiency", "coupling_efficiency", "detector_efficiency", "dark_count_probability")

    def __post_init__(self) -> None:
        if not isinstance(self.channel, _CHANNELS):
            raise TypeError(
                f"channel must be a FibreChannel or FreeSpaceChannel, got {type(self.channel).__name__}"
            )
        for f in fields(self):
            name = f.name
            if name in ("channel", "modes"):
                continue
            value = _scalar(getattr(self, name), name)
            if name in self._PROBABILITIES or name in self._extra_probabilities():
                _v.probability(value, name)
            elif name in self._extra_positive():
                _v.positive(value, name)
            else:
                _v.nonnegative(value, name)
            object.__setattr__(self, name, value)
        if isinstance(self.modes, bool) or not isinstance(self.modes, (int, np.integer)):
            raise TypeError(f"modes must be an integer >= 1, got {type(self.modes).__name__}")
        if self.modes < 1:
            raise ValueError(f"modes must be >= 1, got {self.modes!r}")
        object.__setattr__(self, "modes", int(self.modes))
        self._check()

    # hooks for subclasses
    def _extra_probabilities(self) -> tuple[str, ...]:
        return ()

    def _extra_positive(self) -> tuple[str, ...]:
        return ()

    def _check(self) -> None:
        pass

    def _single_mode(self) -> tuple[float, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _local_efficiency(self) -> float:
        return self.source_efficiency * self.coupling_efficiency * self.detector_efficiency

    # public interface
    def success_probability(self) -> float:
        """Probability that one attempt (over all ``modes``) heralds a pair."""
        p1, _ = self._single_mode()
        return float(-math.expm1(self.modes * math.log1p(-p1))) if p1 < 1 else 1.0

    def state(self) -> np.ndarray:
        """Heralded state as a BDS ``[Φ+, Φ−, Ψ+, Ψ−]`` (after the scheme's Pauli correction)."""
        return self._single_mode()[1]

    def fidelity(self) -> float:
        """Fidelity of the heralded state with ``|Φ+⟩``."""
        return float(self.state()[0])

    def rate(self) -> float:
        """Heralded pairs per second (``inf`` for an attempt of zero duration that can succeed)."""
        p, T = self.success_probability(), self.attempt_duration()
        if T == 0:
            return math.inf if p > 0 else 0.0
        return p / T


@dataclass(frozen=True)
class SingleClick(_Heralding):
    """Single-click (single-photon) heralding at a midpoint beam splitter.

    Each node prepares ``√(1−α)|↓⟩|0⟩ + √α|↑⟩|1⟩`` (``bright_state`` α) and sends
    the photon to a 50:50 beam splitter halfway; exactly one click heralds
    ``Ψ±`` (Cabrillo, Kimble, Zoller, Hänsch, Ditzel, PRA 59, 1025 (1999);
    Humphreys et al., Nature 558, 268 (2018)). With per-side detection
    efficiency ``η`` (local efficiencies × ``√`` channel transmissivity),
    photon-mode overlap ``visibility`` V (coherence factor of the heralded
    state; two photons split with probability ``(1−V²)/2``) and dark-count
    probability ``d`` per detector, the single-mode success probability is
    ``P = Pc + Pi + P↑↑ + P↓↓`` with

    * ``Pc = 2α(1−α) η (1−d)`` (one photon detected: coherent ``Ψ±`` with coherence V),
    * ``Pi = 2α(1−α)(1−η) 2d(1−d)`` (photon lost, dark click: incoherent ``|↑↓⟩/|↓↑⟩``),
    * ``P↑↑ = α² [(η²(1+V²)/2 + 2η(1−η))(1−d) + (1−η)² 2d(1−d)]`` (``|↑↑⟩``),
    * ``P↓↓ = (1−α)² 2d(1−d)`` (``|↓↓⟩``).

    Without dark counts and with V = 1: ``P = αη(2 − αη)``, ``F = 2(1−α)/(2 − αη)``.
    An attempt lasts ``preparation_time_s`` plus the travel of the photon to the
    midpoint and of the herald back (one channel delay).

    Examples
    --------
    >>> import qnet
    >>> link = qnet.SingleClick(qnet.FibreChannel(20.0), bright_state=0.1)
    >>> round(link.success_probability(), 6), round(link.fidelity(), 6)
    (0.12221, 0.929318)
    """

    bright_state: float = 0.1
    visibility: float = 1.0

    def _extra_probabilities(self) -> tuple[str, ...]:
        return ("bright_state", "visibility")

    def _single_mode(self) -> tuple[float, np.ndarray]:
        a, V, d = self.bright_state, self.visibility, self.dark_count_probability
        eta = self._local_efficiency() * math.sqrt(self.channel.transmissivity)
        dark1 = 2 * d * (1 - d)
        pc = 2 * a * (1 - a) * eta * (1 - d)
        pi = 2 * a * (1 - a) * (1 - eta) * dark1
        puu = a * a * ((eta * eta * (1 + V * V) / 2 + 2 * eta * (1 - eta)) * (1 - d) + (1 - eta) ** 2 * dark1)
        pdd = (1 - a) ** 2 * dark1
        p = pc + pi + puu + pdd
        if p <= 0:
            return 0.0, _MIXED.copy()
        psi = (pc * np.array([0, 0, (1 + V) / 2, (1 - V) / 2]) + pi * _PSI_MIX + (puu + pdd) * _PHI_MIX) / p
        return float(p), _psi_to_phi(psi)

    def attempt_duration(self) -> float:
        """``preparation_time_s`` + photon to the midpoint + herald back = one channel delay."""
        return self.preparation_time_s + self.channel.delay_s


@dataclass(frozen=True)
class DoubleClick(_Heralding):
    """Double-click (Barrett–Kok) heralding: two rounds, one click in each.

    Each node's spin is in ``(|↑⟩+|↓⟩)/√2`` and emits a photon when ``|↑⟩``; after
    a round the spins are flipped and a second round follows (Barrett & Kok,
    PRA 71, 060310(R) (2005); Bernien et al., Nature 497, 86 (2013)). A click in
    each round heralds ``Ψ±`` with coherence ``V²`` (``visibility`` V is the
    photons' mode overlap; ``V²`` the two-photon interference visibility).
    With per-side efficiency ``η`` and dark-count probability ``d``:

    * ``↑↓``/``↓↑`` branch (probability 1/2): both photons detected,
      ``η²(1−d)²`` → coherent; one or both rounds heralded by a dark count →
      incoherent ``|↑↓⟩/|↓↑⟩``;
    * ``↑↑`` and ``↓↓`` branches (1/4 each): one round has two photons, the other
      none and needs a dark count → ``|↑↑⟩`` or ``|↓↓⟩``.

    Ideal: ``P = η²/2``, ``F = 1``. An attempt lasts two preparations plus one channel delay.

    Examples
    --------
    >>> import qnet
    >>> link = qnet.DoubleClick(qnet.FibreChannel(20.0), detector_efficiency=0.5)
    >>> round(link.success_probability(), 6), link.fidelity()   # η²/2 with η = 0.5 √(10^-0.4)
    (0.049763, 1.0)
    """

    visibility: float = 1.0

    def _extra_probabilities(self) -> tuple[str, ...]:
        return ("visibility",)

    def _single_mode(self) -> tuple[float, np.ndarray]:
        V, d = self.visibility, self.dark_count_probability
        eta = self._local_efficiency() * math.sqrt(self.channel.transmissivity)
        dark1 = 2 * d * (1 - d)
        one_det = eta * (1 - d)  # one photon, detected, other detector silent
        one_dark = (1 - eta) * dark1  # one photon lost, exactly one dark click
        coh = 0.5 * one_det * one_det
        inc = 0.5 * ((one_det + one_dark) ** 2 - one_det * one_det)
        two = (eta * eta * (1 + V * V) / 2 + 2 * eta * (1 - eta)) * (1 - d) + (1 - eta) ** 2 * dark1
        same = 2 * 0.25 * two * dark1
        p = coh + inc + same
        if p <= 0:
            return 0.0, _MIXED.copy()
        V2 = V * V
        psi = (coh * np.array([0, 0, (1 + V2) / 2, (1 - V2) / 2]) + inc * _PSI_MIX + same * _PHI_MIX) / p
        return float(p), _psi_to_phi(psi)

    def attempt_duration(self) -> float:
        """Two preparations (one per round) plus one channel delay for the herald."""
        return 2 * self.preparation_time_s + self.channel.delay_s


@dataclass(frozen=True)
class MidpointSource(_Heralding):
    """Entangled-photon source halfway, each node absorbs its photon with a heralding signal.

    A pair is emitted with probability ``pair_probability`` per attempt in a
    Werner state of fidelity ``source_fidelity`` (multi-pair emission neglected:
    a deterministic source, or a weak one; see :mod:`qnet.spdc` for SPDC
    statistics). Each node heralds the absorption of its photon with efficiency
    ``η = source × coupling × √transmissivity × detector`` (``source_efficiency`` applies to each
    photon, so it enters ``P`` squared), or falsely with a dark count
    ``d`` when the photon is missing; a pair heralded with a false herald at
    either node is taken as maximally mixed. Success probability
    ``P = p_pair h² + (1 − p_pair) d²`` with ``h = η + (1−η) d``.
    An attempt lasts the preparation, the photons' trip to the nodes (half a
    channel delay) and the exchange of heralds between the nodes (one delay)
    (MidpointSource of Jones et al., NJP 18, 083015 (2016)).

    Examples
    --------
    >>> import qnet
    >>> link = qnet.MidpointSource(qnet.FibreChannel(100.0), source_fidelity=0.98)
    >>> round(link.success_probability(), 6), round(link.fidelity(), 6), link.attempt_duration()
    (0.01, 0.98, 0.00075)
    """

    pair_probability: float = 1.0
    source_fidelity: float = 1.0

    def _extra_probabilities(self) -> tuple[str, ...]:
        return ("pair_probability", "source_fidelity")

    def _single_mode(self) -> tuple[float, np.ndarray]:
        pp, d = self.pair_probability, self.dark_count_probability
        eta = self._local_efficiency() * math.sqrt(self.channel.transmissivity)
        h = eta + (1 - eta) * d
        p = pp * h * h + (1 - pp) * d * d
        if p <= 0:
            return 0.0, _MIXED.copy()
        good = pp * eta * eta
        werner = werner_rows(np.float64(self.source_fidelity))
        return float(p), (good * werner + (p - good) * _MIXED) / p

    def attempt_duration(self) -> float:
        """Preparation + half a channel delay (photons to the nodes) + one delay (heralds exchanged)."""
        return self.preparation_time_s + 1.5 * self.channel.delay_s


@dataclass(frozen=True)
class SenderReceiver(_Heralding):
    """The first node emits a photon entangled with its memory; the second absorbs it and confirms.

    Memory–photon entanglement of fidelity ``source_fidelity`` (Werner);
    photon efficiency ``η = source × coupling × transmissivity × detector`` (the
    photon crosses the whole channel). The receiver heralds absorption, or falsely
    with dark-count probability ``d`` when the photon is lost (maximally mixed
    pair). ``P = η + (1−η) d``. An attempt lasts the preparation plus a round
    trip (photon there, confirmation back) (SenderReceiver of Jones et al.,
    NJP 18, 083015 (2016)).

    Examples
    --------
    >>> import qnet
    >>> link = qnet.SenderReceiver(qnet.FibreChannel(50.0))
    >>> round(link.success_probability(), 12), link.attempt_duration()
    (0.1, 0.0005)
    """

    source_fidelity: float = 1.0

    def _extra_probabilities(self) -> tuple[str, ...]:
        return ("source_fidelity",)

    def _single_mode(self) -> tuple[float, np.ndarray]:
        d = self.dark_count_probability
        eta = self._local_efficiency() * self.channel.transmissivity
        p = eta + (1 - eta) * d
        if p <= 0:
            return 0.0, _MIXED.copy()
        werner = werner_rows(np.float64(self.source_fidelity))
        return float(p), (eta * werner + (p - eta) * _MIXED) / p

    def attempt_duration(self) -> float:
        """Preparation + round trip over the channel."""
        return self.preparation_time_s + 2 * self.channel.delay_s


#: Heralding schemes by name.
LINK_SCHEMES = {
    "single_click": SingleClick,
    "double_click": DoubleClick,
    "midpoint_source": MidpointSource,
    "sender_receiver": SenderReceiver,
}


# ---------------------------------------------------------------- repeaterless bounds
def _per_second(value: np.ndarray, repetition_rate: Any) -> np.ndarray:
    if repetition_rate is None:
        return value
    rate = _v.positive(repetition_rate, "repetition_rate")
    _v.broadcast({"eta": value, "repetition_rate": rate})
    return value * rate


def plob_bound(eta: Any, repetition_rate: Any = None) -> np.ndarray:
    """PLOB bound ``−log2(1 − η)`` on ebits (or secret bits) per use of a pure-loss channel.

    Pirandola, Laurenza, Ottaviani, Banchi, Nat. Commun. 8, 15043 (2017).

    Parameters
    ----------
    eta : float or array_like
        Transmissivity in [0, 1] (``η = 1`` gives ``inf``).
    repetition_rate : float or array_like, optional
        Channel uses per second (> 0); the bound is then in ebits per second.

    Examples
    --------
    >>> import qnet
    >>> float(qnet.plob_bound(0.5))
    1.0
    >>> round(float(qnet.plob_bound(1e-3, repetition_rate=1e9)))   # ≈ 1.44 η per use for small η
    1443417
    """
    eta = _v.probability(eta, "eta")
    with np.errstate(divide="ignore"):
        val = -np.log1p(-eta) / math.log(2.0)
    return _per_second(val, repetition_rate)


def tgw_bound(eta: Any, repetition_rate: Any = None) -> np.ndarray:
    """TGW (squashed-entanglement) bound ``log2((1 + η)/(1 − η))`` per use of a pure-loss channel.

    Takeoka, Guha, Wilde, Nat. Commun. 5, 5235 (2014). Always above :func:`plob_bound`.

    Examples
    --------
    >>> import qnet
    >>> round(float(qnet.tgw_bound(0.5)), 12)
    1.584962500721
    """
    eta = _v.probability(eta, "eta")
    with np.errstate(divide="ignore"):
        val = np.log2(1.0 + eta) - np.log1p(-eta) / math.log(2.0)
    return _per_second(val, repetition_rate)


def repeater_chain_bound(eta: Any, segments: int, repetition_rate: Any = None) -> np.ndarray:
    """Capacity bound ``−log2(1 − η^(1/N))`` of a chain of ``N`` equal pure-loss segments.

    The end-to-end capacity of a linear repeater chain is the smallest segment
    capacity (Pirandola, Commun. Phys. 2, 51 (2019)); with total transmissivity
    ``η`` split into ``N`` equal segments each has ``η^(1/N)``. ``N = 1`` is PLOB.

    Examples
    --------
    >>> import qnet
    >>> float(qnet.repeater_chain_bound(0.25, 2))
    1.0
    """
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)):
        raise TypeError(f"segments must be an integer >= 1, got {type(segments).__name__}")
    if segments < 1:
        raise ValueError(f"segments must be >= 1, got {segments!r}")
    eta = _v.probability(eta, "eta")
    return plob_bound(eta ** (1.0 / segments), repetition_rate)
