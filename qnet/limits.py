"""Every limit qnet refuses work beyond, in one place: ``qnet.limits.MAX_...``.

Each limit guards a size or a time before any work is done (an absurd request gets a ValueError naming the limit
and the estimate, not a machine out of memory); the module that enforces it defines it, and this namespace
gathers them so that they do not crowd the top-level ``qnet`` namespace.

Examples
--------
>>> import qnet
>>> qnet.limits.MAX_T_TRUNC
4194304
>>> "MAX_T_TRUNC" in dir(qnet)
False
"""

from .chains import MAX_CHAIN_BYTES, MAX_SAMPLES, MAX_T_TRUNC
from .circuits import MAX_SEARCH_ENTRIES, MAX_SEARCH_PAIRS, MAX_STEP_PAIRS
from .networks.simulator import MAX_EVENTS, MAX_TREE_NODES
from .montecarlo import MAX_STEPS
from .protocol_search import MAX_ENUMERATED, MAX_SEARCH_SECONDS
from .results import MAX_PMF_LENGTH
from .schedules import MAX_LEVELS, MAX_SCHEDULE_NODES, MAX_SWAP_LEVELS
from .spdc import MAX_MEAN_PAIRS
from .swap_policies import MAX_POLICY_STATES
from .timing import MAX_GENERATION_TERMS, MAX_GRID, MAX_SHOTS
from .networks.topologies import MAX_NETWORK_NODES

__all__ = ["MAX_CHAIN_BYTES", "MAX_ENUMERATED", "MAX_EVENTS", "MAX_GENERATION_TERMS", "MAX_GRID", "MAX_LEVELS",
           "MAX_MEAN_PAIRS", "MAX_NETWORK_NODES", "MAX_PMF_LENGTH", "MAX_POLICY_STATES", "MAX_SAMPLES",
           "MAX_SCHEDULE_NODES", "MAX_SEARCH_ENTRIES", "MAX_SEARCH_PAIRS", "MAX_SEARCH_SECONDS", "MAX_SHOTS",
           "MAX_STEPS", "MAX_STEP_PAIRS", "MAX_SWAP_LEVELS", "MAX_T_TRUNC", "MAX_TREE_NODES"]
