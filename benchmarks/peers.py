"""Peers' repeater-chain code and qnet's calls on the same problems, as importable functions.

Li, Coopmans & Elkouss's repository (BoxiLi/repeater-cut-off-optimization) and La Corte et al.'s fork (branch
heterogeneus-chains of LorenzoLaCorte/repeater-cut-off-optimization) are not packages on PyPI or Debian: point
``QNET_LI_PATH`` and ``QNET_LACORTE_PATH`` at checkouts. The two share module names (repeater_algorithm,
protocol_units, ...): each is imported with its own directory first and its modules kept apart, so one run times
both. Importing this module runs nothing, so :func:`harness.fresh_process_time` can time these functions in a
process of their own.
"""

from __future__ import annotations

import importlib
import os
import sys

import numpy as np

import qnet

_PEER_MODULES = ("repeater_algorithm", "protocol_units", "protocol_units_efficient", "utility_functions",
                 "logging_utilities", "repeater_mc", "optimize_cutoff", "repeater_types")
_PEERS: dict = {}


def peer(path: str, name: str):
    """Module ``name`` of the checkout at ``path``, imported with that checkout's own sibling modules."""
    key = (path, name)
    if key not in _PEERS:
        if not hasattr(np, "int"):
            np.int = int  # type: ignore[attr-defined]  # removed from numpy in 1.24; read by their signatures
        saved = {m: sys.modules.pop(m) for m in _PEER_MODULES if m in sys.modules}
        sys.path.insert(0, path)
        try:
            _PEERS[key] = importlib.import_module(name)
        finally:
            sys.path.remove(path)
            for m in _PEER_MODULES:
                sys.modules.pop(m, None)
            sys.modules.update(saved)
    return _PEERS[key]


# ---------------------------------------------------------------- La Corte et al.: one schedule of a 5-node chain
LC_PARAMS = {"p_gen": 0.02, "p_swap": 0.85, "w0": 0.99, "t_coh": 40000}


def lacorte_schedule(tokens: tuple, t_trunc: int) -> float:
    """Key rate of one schedule by La Corte et al.'s ``asymmetric_protocol``."""
    RepeaterChainSimulation = peer(os.environ["QNET_LACORTE_PATH"], "repeater_algorithm").RepeaterChainSimulation
    secret_key_rate = peer(os.environ["QNET_LACORTE_PATH"], "utility_functions").secret_key_rate

    pmf, w = RepeaterChainSimulation().asymmetric_protocol({"protocol": tokens, "t_trunc": t_trunc, **LC_PARAMS}, 4)
    return secret_key_rate(pmf, w)


def qnet_schedule(tokens: tuple, t_trunc: int) -> float:
    """The same key rate by :func:`qnet.chain_delivery`."""
    p = LC_PARAMS
    return qnet.chain_delivery(qnet.Schedule(tokens, n_nodes=5), p["p_gen"], p["p_swap"], p["w0"], float(p["t_coh"]),
                               t_trunc=t_trunc, tol=None).key_rate


# ---------------------------------------------------------------- Li et al.: nested swap-as-soon-as-possible chains
#: Li et al.'s parameters: (protocol, p_gen, p_swap, w0, t_coh, memory-time cut-offs or None, t_trunc).
LI_CASES = {
    "8 segments, cut-offs (16, 31, 55), t_trunc=3000": ((0, 0, 0), 0.1, 0.5, 0.98, 400, (16, 31, 55), 3000),
    "16 segments swap-only, t_trunc=16384": ((0, 0, 0, 0), 0.05, 0.5, 0.99, 4000, None, 16384),
    "16 segments swap-only, t_trunc=65536": ((0, 0, 0, 0), 0.05, 0.5, 0.99, 4000, None, 65536),
}


def li_sim(case: tuple):
    """``(pmf, w)`` of one of :data:`LI_CASES` by Li et al.'s ``repeater_sim``."""
    repeater_sim = peer(os.environ["QNET_LI_PATH"], "repeater_algorithm").repeater_sim

    protocol, p, ps, w0, t_coh, cut, T = case
    params = {"protocol": protocol, "p_gen": p, "p_swap": ps, "w0": w0, "t_coh": t_coh, "t_trunc": T}
    if cut is not None:
        params.update(cutoff=cut, cut_type="memory_time")
    return repeater_sim(params)


def qnet_li(case: tuple) -> qnet.ChainDelivery:
    """The same chain by :func:`qnet.chain_delivery`."""
    protocol, p, ps, w0, t_coh, cut, T = case
    return qnet.chain_delivery(("swap",) * len(protocol), p, ps, w0, float(t_coh), cutoff=cut, t_trunc=T, tol=None)


def qnet_search(t_trunc: int, sample: tuple = ()):
    """qnet's exhaustive search over the 640 schedules of La Corte et al.'s 5-node chain (<= 1 round per link);
    ``sample`` (the schedules :func:`lacorte_schedules` times on the same arguments) is not read."""
    p = LC_PARAMS
    chain = qnet.RepeaterChain.werner(("swap", "swap"), p["p_gen"], p["p_swap"], p["w0"], float(p["t_coh"]))
    return qnet.search_schedules(chain, max_rounds=1, t_trunc=t_trunc, top=1000)


def lacorte_schedules(t_trunc: int, schedules: tuple) -> list:
    """La Corte et al.'s key rate of each of ``schedules``, one call each (their brute force does the same)."""
    return [lacorte_schedule(tokens, t_trunc) for tokens in schedules]
