"""qnet: fast, verified simulation of entanglement purification in quantum networks.

Everything public lives in this flat namespace; the modules are named after
the physics (``states``, ``measures``, ``memories``, ``channels``,
``purification``, ``swapping``, ``links``, and the subpackages ``circuits``,
``timing``, ``chains``, ``networks``). Conventions (Bell ordering ``[Φ+, Φ−, Ψ+, Ψ−]`` =
Pauli errors ``[I, Z, X, Y]``) are in the docs.
"""

__version__ = "0.1.0"

from .states import *  # noqa: E402,F401,F403
from .noise import *  # noqa: E402,F401,F403
from .measures import *  # noqa: E402,F401,F403
from .memories import *  # noqa: E402,F401,F403
from .channels import *  # noqa: E402,F401,F403
from .circuits import *  # noqa: E402,F401,F403
from .purification import *  # noqa: E402,F401,F403
from .rounds import *  # noqa: E402,F401,F403
from .swapping import *  # noqa: E402,F401,F403
from .timing import *  # noqa: E402,F401,F403
from .links import *  # noqa: E402,F401,F403
from .schedules import *  # noqa: E402,F401,F403
from .chains import *  # noqa: E402,F401,F403
from .spdc import *  # noqa: E402,F401,F403
from .montecarlo import *  # noqa: E402,F401,F403
from .protocol_search import *  # noqa: E402,F401,F403
from .swap_policies import *  # noqa: E402,F401,F403
from .sweeps import *  # noqa: E402,F401,F403
from .networks import *  # noqa: E402,F401,F403
from .errors import *  # noqa: E402,F401,F403
from .results import *  # noqa: E402,F401,F403

from . import limits  # noqa: E402,F401  (qnet.limits.MAX_...: every limit, off the top level)

import sys as _sys  # noqa: E402

#: Every public name: the union of the modules' ``__all__``, in module order.
__all__ = [name for _module in ("states", "noise", "measures", "memories", "channels", "circuits", "purification",
                                "rounds", "swapping", "timing", "links", "schedules", "chains", "spdc", "montecarlo",
                                "protocol_search", "swap_policies", "sweeps", "networks", "errors", "results")
           for name in _sys.modules[f"{__name__}.{_module}"].__all__]
del _sys
