"""Every integer code the kernels and their wrappers share, in one table (importing it costs no numba).

The exact chain engine, the chain Monte Carlo and the event simulator read the same operation and cut-off codes
from here; the event simulator's column and state codes are its own.
"""

# operations of a protocol tree (an elementary link is a tree's leaf)
LINK, SWAP, DISTILL = 0, 1, 2
ELEMENTARY = LINK
# cut-off kinds (NO_CUT: an operation without a cut-off)
NO_CUT, MEMORY_TIME, FIDELITY, RUN_TIME = -1, 0, 1, 2
#: The code of each cut-off kind by its name (``cut_type`` of the chain engines, ``Cutoff.kind`` of the simulator).
CUT_CODES = {"memory_time": MEMORY_TIME, "fidelity": FIDELITY, "run_time": RUN_TIME}

# ---- the event simulator
# static integer fields of a tree node
KIND, CHA, CHB, PARENT, REQ, INST, POOLA, POOLB, LO, CUT, DIDX, DEFER, PUMPS, NDIST, ARITY, FEND = range(16)
N_SI = 16
# static float fields (MA, MB: each end's memory in the density-matrix mode, see qnet._kernels.pairs; SWF: a swap's
# factor per Walsh–Hadamard component, its node's Bell-measurement noise)
P, TAU, EMIT, OUTD, DFA, DFB, CUTV, C0 = range(8)
HAT0, MINF, LOGQ, TARGET, MA, MB, SWF = 11, 15, 16, 17, 18, 22, 26
N_SF = 30
# dynamic float fields: reference time, ready time, waiting since, pumps done, pending Pauli frame (time, code), state
TREF, TREADY, WAITING_SINCE, PUMPED, FT, FC, ST = range(7)
# dynamic integer fields of a tree node: status, version (events for an older version are stale), dispatch mark
STATUS, VERSION, MARK = range(3)
# dynamic status of a tree node
EMPTY, WAITING, ATTEMPTING, READY, USED, PENDING_OK, PENDING_FAIL, RETIRED = range(8)
# fields of a memory pool: slots, free slots, slot-seconds used, time of the last change
CAPACITY, FREE, SLOT_SECONDS, SINCE = range(4)
# the run's settings and dispatch state: request order, last request served, dispatch stamp
ORDER, LAST_SERVED, STAMP = range(3)
# counts per request (the kernel's ``stats`` output)
DELIVERED, ATTEMPTS, FAILURES, DISCARDS = range(4)
# event kinds
EV_LINK, EV_OP, EV_FREE, EV_CUT, EV_RUN = 0.0, 1.0, 2.0, 3.0, 4.0  # floats: the heap's column
# request ordering
FIFO, ROUND_ROBIN, PRIORITY = 0, 1, 2
# return codes
DONE, STALLED, TOO_MANY_EVENTS = 0, 1, 2
