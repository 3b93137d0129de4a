"""Quantum networks: the network model, its topologies, the policies of a simulation, the event-driven simulator
and its results.

Layout: :mod:`~qnet.networks.model` (the conventions of a network as a networkx graph, validation, paths, and the
exact path functions), :mod:`~qnet.networks.topologies` (builders), :mod:`~qnet.networks.policies` (what each
request asks for and how nodes decide), :mod:`~qnet.networks.simulator` (:class:`NetworkProblem`,
:func:`simulate_network`), :mod:`~qnet.networks.deliveries` (results), and the engine tier ``_swap_control`` (swap
policies run on a path). The compiled event loop is ``qnet._kernels.events``.
"""

from . import deliveries, model, policies, simulator, topologies
from .deliveries import *  # noqa: F401,F403
from .model import *  # noqa: F401,F403
from .policies import *  # noqa: F401,F403
from .simulator import *  # noqa: F401,F403
from .topologies import *  # noqa: F401,F403

__all__ = [*model.__all__, *topologies.__all__, *deliveries.__all__, *policies.__all__, *simulator.__all__]
