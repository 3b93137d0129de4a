"""qnet's own exception and warning types, in one place.

Every error qnet raises for bad input is a ``ValueError`` or ``TypeError`` naming the parameter; the
types below are the ``ValueError`` subclasses a caller may want to catch on their own.
"""

from __future__ import annotations

__all__ = ["TruncationError", "NeverDeliversError", "InfeasibleError", "NetworkError", "SweepFileWarning"]


class NeverDeliversError(ValueError):
    """Every attempt at some level of the chain fails (e.g. a cut-off no pair can pass): no delivery, ever."""


class InfeasibleError(ValueError):
    """No candidate an optimizer evaluated (a scan of its whole range, then its refinement) gives a positive
    objective: there is no optimum to report, and a zero is never reported as one.

    ``uncovered`` lists the candidates that scored 0 only because the computed time window did not cover them
    (empty when every candidate was covered: then there is no positive value in the searched range).
    """

    def __init__(self, message: str, uncovered: tuple = ()):
        super().__init__(message)
        self.uncovered = uncovered


class TruncationError(ValueError):
    """The window ``t_trunc`` misses more of the delivery-time distribution than ``tol`` allows.

    ``sufficient_t_trunc`` is a window verified to suffice, or ``None`` when even the largest window
    qnet tries (``MAX_T_TRUNC`` steps, within ``MAX_CHAIN_BYTES``) does not.
    """

    def __init__(self, message: str, sufficient_t_trunc: int | None):
        super().__init__(message)
        self.sufficient_t_trunc = sufficient_t_trunc


class NetworkError(ValueError):
    """A network graph or a request on it is invalid (a ``ValueError``)."""


class SweepFileWarning(UserWarning):
    """A sweep file has lines that cannot be read (skipped; their line numbers are in the message)."""
