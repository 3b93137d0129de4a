"""Every limit qnet refuses work beyond, in one place: ``qnet.limits.MAX_...``.

Each limit guards a size or a time before any work is done (an absurd request gets a ValueError naming the limit
and the estimate, not a machine out of memory); every limit is defined here, in one place, and imported
by the modules that enforce it; none crowds the top-level ``qnet`` namespace.

Examples
--------
>>> import qnet
>>> qnet.limits.MAX_T_TRUNC
4194304
>>> "MAX_T_TRUNC" in dir(qnet)
False
"""

__all__ = ["MAX_AGE_LIMIT", "MAX_CHAIN_BYTES", "MAX_DM_ENTRIES", "MAX_ENUMERATED", "MAX_EVENTS",
           "MAX_GENERATION_TERMS", "MAX_GRID", "MAX_IN_FLIGHT", "MAX_LEVELS", "MAX_LINKS_PER_DELIVERY",
           "MAX_MEAN_PAIRS", "MAX_MEMORIES", "MAX_NETWORK_BYTES", "MAX_NETWORK_NODES", "MAX_OPERATIONS",
           "MAX_PMF_LENGTH", "MAX_POLICY_STATES", "MAX_PUMPS", "MAX_ROUNDS", "MAX_SAMPLES", "MAX_SCHEDULE_NODES",
           "MAX_SEARCH_ENTRIES", "MAX_SEARCH_PAIRS", "MAX_SEARCH_SECONDS", "MAX_SECONDS", "MAX_SHOTS",
           "MAX_SLOTS_PER_DELIVERY", "MAX_STEPS", "MAX_STEP_PAIRS", "MAX_SWAP_LEVELS", "MAX_TREE_NODES",
           "MAX_T_TRUNC"]

# -------------------- Results

#: Longest histogram :meth:`MonteCarloResult.pmf` builds (steps).
MAX_PMF_LENGTH = 2**24  # three float64 outputs of 128 MiB each at most

# -------------------- Purification rounds

#: Most rounds :func:`recurrence` and :func:`pumping` accept (far beyond where float64 totals end).
MAX_ROUNDS = 10_000

# -------------------- Distillation circuits

#: Pairs alive at once in one step: the Bell-diagonal map of a step of k pairs has 4^(k+1) entries and is built from a
#: 4^k x 4^k propagation (k = 5: 8 MB), the density-matrix circuit holds 4^(2k) entries per state.
MAX_STEP_PAIRS = 5

#: Largest density-matrix work, in complex entries (states x 4^(2k)), before a ValueError instead of an allocation.
MAX_DM_ENTRIES = 2**27

# -------------------- Circuit search

#: Largest number of pairs of a searched circuit.
MAX_SEARCH_PAIRS = 4

#: Largest exhaustive search, in floats held at once (gate sequences x 4^k); above it ``"auto"`` evolves.
MAX_SEARCH_ENTRIES = 2**26

# -------------------- Purification timing

#: Most shots of :func:`simulate_generation_policies` (a few arrays of this length are allocated).
MAX_SHOTS = 10**8

#: Most link-2 arrival times a generation-policy comparison sums over.
MAX_GENERATION_TERMS = 10**6

#: Most initial grid points of :func:`optimal_purification_time` (each is evaluated over the whole batch).
MAX_GRID = 10**5

# -------------------- Schedules

#: Most swap levels of a nested chain (``2**16`` segments).
MAX_SWAP_LEVELS = 16

#: Most levels (swaps and distillations) of a nested chain.
MAX_LEVELS = 64

#: Most chain nodes of a schedule (``2**16`` segments, as many as a nested chain may have).
MAX_SCHEDULE_NODES = 2**16 + 1

#: Most operations (swaps and distillations) in a schedule.
MAX_OPERATIONS = 2**20

# -------------------- Repeater chains (exact and Monte Carlo)

#: Longest time window (steps) of an exact chain distribution.
MAX_T_TRUNC = 2**22

#: Largest memory an exact chain evaluation may need (estimated before any work), in bytes.
MAX_CHAIN_BYTES = 4 * 2**30

#: Most samples one Monte Carlo run returns (each holds a time and a state: 40 bytes).
MAX_SAMPLES = 10**8

#: Largest number of elementary links one delivery may use before the Monte Carlo gives up.
MAX_LINKS_PER_DELIVERY = 10**8

# -------------------- SPDC sources

#: Largest mean number of pairs per pulse accepted: far beyond any SPDC source, and already where every
#: visibility of the swapping model is below round-off (1e-12 at 1e6).
MAX_MEAN_PAIRS = 1e6

# -------------------- Swap-asap Monte Carlo

#: Largest ``max_steps`` of :func:`simulate_swap_asap`.
MAX_STEPS = 2**62

# -------------------- Schedule search

#: Most schedules an exhaustive search evaluates (it refuses larger spaces before any work).
MAX_ENUMERATED = 200_000

#: Default ``max_seconds`` of :func:`search_schedules`: a search whose first candidates price the whole above it
#: is refused with the estimate, before it runs for hours.
MAX_SEARCH_SECONDS = 3600.0

# -------------------- Optimal swap policies

#: Most states of the decision process (an upper bound is computed before anything is built).
MAX_POLICY_STATES = 1_000_000

#: Most slots of memory time a fidelity-aware process tracks per link.
MAX_AGE_LIMIT = 100_000

# -------------------- Networks

#: Longest link attempt (s): far beyond any experiment, and simulated times of many attempts stay finite.
MAX_SECONDS = 1e100

#: Most memory slots a node may hold (far beyond any device; bounds the simulator's integer counters).
MAX_MEMORIES = 10**9

#: Most distillations of one pumped link.
MAX_PUMPS = 64

#: Most instances of one request in flight at once.
MAX_IN_FLIGHT = 1024

#: Most nodes a network builder makes.
MAX_NETWORK_NODES = 100_000

#: Most slots one delivery may take before the run is given up (a policy that almost never delivers); below it,
#: 1000 times the slot model's expected time of the rule (at least 10^4).
MAX_SLOTS_PER_DELIVERY = 10**7

#: Largest number of events one trajectory may process before giving up.
MAX_EVENTS = 10**10

#: Most memory one simulation's results may need (bytes), estimated before any event runs.
MAX_NETWORK_BYTES = 2**33

#: Most protocol-tree nodes (all requests and instances together) one simulation may hold.
MAX_TREE_NODES = 2**22
