"""Repeater schedules: any tree of entanglement swaps and distillations over a chain of nodes.

A chain has nodes ``0 .. N-1`` and ``N - 1`` elementary links (segments), link ``i`` joining nodes ``i`` and
``i + 1``. A :class:`Schedule` is a binary tree whose leaves are the elementary links and whose inner nodes are

* a **swap** at the node where two adjacent links meet (its inputs span ``a..m`` and ``m..b``, its output
  ``a..b``), or
* a **distillation** of a link with a second, independent copy of the whole sub-protocol that built it (its
  output spans the same nodes).

Both inputs of an operation are made independently and started at the same time; the one ready first waits
(see :mod:`qnet.chains` for the timing and the cut-offs). Every operation belongs to a cut-off *slot*: one
per level for nested schedules, one per token for La Corte et al.'s sequences; a chain's ``cutoff`` is one
value for every slot or one per slot.

Two constructors:

* :meth:`Schedule.from_levels`: qnet's nested levels, e.g. ``("distill", "swap", "swap")``, every level applied
  to every link at once (a swap level splits a span of ``w`` segments as ``ceil(w/2) + floor(w/2)``; a single
  segment passes a swap level unchanged);
* :meth:`Schedule.from_sequence`: the notation of La Corte, Li, Coopmans, Elkouss et al. (arXiv:2502.02208):
  a current link spanning nodes ``a..b`` is addressed by ``b - 1``, the index of its rightmost elementary
  segment; ``s_i`` swaps at node ``i + 1``, joining the link addressed ``i`` with the next existing link to
  its right (each ``s_i`` exactly once, in any order); ``d_i`` distils the link addressed ``i`` (only before
  ``s_i``; ``d_i d_i`` is two nested rounds); tokens apply left to right.

A distillation runs the chain's protocol unless the schedule names its circuit (a name of
:data:`qnet.CIRCUITS` with one step): a level named by the circuit (``("double_selection", "swap")``) or a token
with the name after a colon (``"d1:double_selection"``). A circuit of ``k`` pairs distils ``k`` independent
copies of the sub-protocol.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import _validation as _v
from .circuits import CIRCUITS, DISTILL_CIRCUITS
from .limits import MAX_OPERATIONS, MAX_SCHEDULE_NODES
from ._tree import OPERATIONS, children, link_copies, nested_segments, postorder, span, validate_levels

__all__ = ["Schedule", "OPERATIONS"]


_TOKEN = re.compile(r"([sd])_?([0-9]+)(?::([a-z_]+))?")  # with fullmatch: ASCII digits, an optional circuit name

# A tree node is a tuple: ("link", i) for elementary link i, ("swap", left, right, slot) or
# ("distill", child, slot). Tuples make schedules hashable and comparable by structure.


class Schedule:
    """Which swaps and distillations a repeater chain performs, in which order: a binary tree over its segments.

    ``Schedule(steps)`` reads nested levels (``"swap"``/``"distill"``, :meth:`from_levels`) and
    ``Schedule(tokens, n_nodes=N)`` La Corte et al.'s tokens (:meth:`from_sequence`). Schedules are immutable and
    compare (and hash) by structure.

    Parameters
    ----------
    steps : sequence of str
        Levels (``"swap"``, ``"distill"`` or a circuit's name), or tokens such as ``"s0"``, ``"d1"``,
        ``"d1:double_selection"``.
    n_nodes : int, optional
        Number of chain nodes: needed for tokens; for levels, ``n_nodes - 1`` is the number of segments
        (default ``2**(swap levels)``).

    Examples
    --------
    >>> import qnet
    >>> qnet.Schedule(("distill", "swap")).n_segments
    2
    >>> qnet.Schedule(["s1", "s0"], n_nodes=4).tokens
    ('s1', 's0')
    >>> s = qnet.Schedule.from_sequence(("s0", "s2", "d1", "d3", "s1"), n_nodes=5)
    >>> s == qnet.Schedule.from_levels(("swap", "distill", "swap"))
    False
    >>> s.same_tree(qnet.Schedule.from_levels(("swap", "distill", "swap")))
    True
    >>> print(s)
    swap at node 2 [0-4]
    ├── distill [0-2]
    │   └── swap at node 1 [0-2]
    │       ├── link 0 [0-1]
    │       └── link 1 [1-2]
    └── distill [2-4]
        └── swap at node 3 [2-4]
            ├── link 2 [2-3]
            └── link 3 [3-4]
    """

    __slots__ = ("_root", "_n_nodes", "_n_slots", "_levels", "_tokens", "_circuits")

    def __init__(self, steps: Sequence[str], n_nodes: int | None = None) -> None:
        if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence):
            raise TypeError(f"steps must be a sequence of levels ('swap', 'distill') or of tokens ('s0', 'd1'), got "
                            f"{steps!r}")
        if not steps and n_nodes is None or any(isinstance(step, str) and (step in OPERATIONS or step in CIRCUITS)
                                                 for step in steps):  # () is one link
            made = Schedule.from_levels(steps, None if n_nodes is None else _node_count(n_nodes) - 1)
        else:
            if n_nodes is None:
                raise TypeError("a schedule given by tokens needs n_nodes (the number of chain nodes)")
            made = Schedule.from_sequence(steps, n_nodes)
        for slot in self.__slots__:
            object.__setattr__(self, slot, getattr(made, slot))

    @classmethod
    def _make(cls, root: tuple, n_nodes: int, n_slots: int, levels: tuple | None, tokens: tuple,
              circuits: tuple | None = None) -> "Schedule":
        schedule = object.__new__(cls)
        circuits = circuits if circuits is not None else (None,) * n_slots
        for slot, value in zip(cls.__slots__, (root, n_nodes, n_slots, levels, tokens, circuits)):
            object.__setattr__(schedule, slot, value)
        return schedule

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Schedule is immutable ({name!r})")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_levels(cls, levels: Sequence[str], n_segments: int | None = None) -> "Schedule":
        """qnet's nested schedule: ``levels`` from the elementary links up, each ``"swap"``, ``"distill"`` (with the
        chain's protocol) or the name of a distillation circuit (a name of :data:`qnet.DISTILL_CIRCUITS`).

        ``n_segments`` defaults to ``2**(number of swap levels)``; otherwise it must need exactly that many swap
        levels (``ceil(log2 n)``). Cut-off slot ``k`` is level ``k``.

        Examples
        --------
        >>> import qnet
        >>> s = qnet.Schedule.from_levels(("distill", "swap"))
        >>> s.n_nodes, s.n_operations, s.n_slots
        (3, 3, 2)
        >>> qnet.Schedule.from_levels(("swap", "swap"), n_segments=3).tokens
        ('s0', 's1')
        """
        levels = validate_levels(levels)
        n = nested_segments(levels, n_segments, "n_segments")

        def build(level: int, start: int, width: int) -> tuple:
            if level < 0:
                return ("link", start)
            if levels[level] != "swap":
                return ("distill", build(level - 1, start, width), level)
            if width == 1:  # a single segment passes a swap level unchanged
                return build(level - 1, start, 1)
            wa = (width + 1) // 2
            return ("swap", build(level - 1, start, wa), build(level - 1, start + wa, width - wa), level)

        root = build(len(levels) - 1, 0, n)
        circuits = tuple(None if step in OPERATIONS else step for step in levels)
        return cls._make(root, n + 1, len(levels), levels, _tokens_of(root, circuits), circuits)

    @classmethod
    def from_sequence(cls, tokens: Sequence[str], n_nodes: int) -> "Schedule":
        """La Corte et al.'s sequence notation (see the module docstring); cut-off slot ``k`` is token ``k``.

        Parameters
        ----------
        tokens : sequence of str
            ``"s<i>"`` or ``"d<i>"`` (``"s_1"`` is accepted too), applied left to right.
        n_nodes : int
            Number of chain nodes ``N >= 2`` (``N - 1`` segments).

        Raises
        ------
        ValueError
            An unknown token, an index out of range, ``s_i`` twice or missing, ``d_i`` after ``s_i``.

        Examples
        --------
        >>> import qnet
        >>> qnet.Schedule.from_sequence(["d0", "d0", "s0", "d1"], n_nodes=3).n_operations
        4
        >>> qnet.Schedule.from_sequence(["s0", "d0"], n_nodes=3)
        Traceback (most recent call last):
        ...
        ValueError: tokens[1] = 'd0': d0 after s0; a distillation of link 0 must come before the swap s0 that absorbs it
        """
        n_nodes = _node_count(n_nodes)
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise TypeError(f"tokens must be a sequence of strings such as ('s0', 'd1'), got {tokens!r}")
        if len(tokens) > MAX_OPERATIONS:
            raise ValueError(f"tokens has {len(tokens)} entries; at most MAX_OPERATIONS = {MAX_OPERATIONS}")
        links: dict[int, tuple] = {i: ("link", i) for i in range(n_nodes - 1)}
        # the addresses still alive as a doubly linked list: finding a swap's right neighbour is O(1)
        right = list(range(1, n_nodes)) + [-1]
        left = [-1] + list(range(n_nodes - 2))
        swapped: set[int] = set()
        circuits = []
        for k, token in enumerate(tokens):
            kind, i, name = _parse(token, k, n_nodes)
            circuits.append(name)
            if kind == "s":
                if i in swapped:
                    raise ValueError(f"tokens[{k}] = {token!r}: s{i} appears twice; each swap s_i runs exactly once")
                # an address disappears only through its own swap, and address n_nodes - 2 is never swapped away,
                # so link i exists and has a neighbour to its right
                j = right[i]
                links[j] = ("swap", links.pop(i), links[j], k)
                left[j] = left[i]
                if left[i] >= 0:
                    right[left[i]] = j
                swapped.add(i)
            else:
                if i in swapped:
                    raise ValueError(f"tokens[{k}] = {token!r}: d{i} after s{i}; a distillation of link {i} must come "
                                     f"before the swap s{i} that absorbs it")
                links[i] = ("distill", links[i], k)
        missing = sorted(set(range(n_nodes - 2)) - swapped)
        if missing:
            raise ValueError(f"tokens never swap at {', '.join(f's{i}' for i in missing)}: every s_i for i in "
                             f"0..{n_nodes - 3} must appear once to join the {n_nodes - 1} segments")
        (root,) = links.values()
        return cls._make(root, n_nodes, len(tokens), None, tuple(_canonical(t) for t in tokens), tuple(circuits))

    @classmethod
    def from_tree(cls, root: tuple) -> "Schedule":
        """A schedule from its tree: ``("link", i)``, ``("swap", left, right)`` or ``("distill", child)`` nested
        tuples (any cut-off slots given as a last element are replaced: slot ``k`` is the ``k``-th operation in
        post-order, the order of :attr:`tokens`).

        Examples
        --------
        >>> import qnet
        >>> tree = ("swap", ("distill", ("link", 0)), ("link", 1))
        >>> qnet.Schedule.from_tree(tree).tokens
        ('d0', 's0')
        """
        slot = 0
        built: dict[int, tuple] = {}  # id of a given node -> the node with its slot (children first)
        spans: dict[int, tuple[int, int]] = {}
        stack: list = [(root, False)]
        while stack:  # post-order without recursion: any depth
            node, expanded = stack.pop()
            if not isinstance(node, tuple) or not node or node[0] not in ("link", "swap", "distill"):
                raise ValueError(f"a tree node is ('link', i), ('swap', left, right) or ('distill', child), got "
                                 f"{_v.shorten(node, 120)}")
            if node[0] == "link":
                if len(node) != 2 or isinstance(node[1], bool) or not isinstance(node[1], int):
                    raise ValueError(f"a link is ('link', i) with an integer i, got {node!r}")
                built[id(node)], spans[id(node)] = node, (node[1], 1)
                continue
            arity = 2 if node[0] == "swap" else 1
            if len(node) not in (1 + arity, 2 + arity) or (len(node) == 2 + arity and (
                    isinstance(node[-1], bool) or not isinstance(node[-1], int))):
                raise ValueError(f"{node[0]} is ({node[0]!r}, {', '.join(['input'] * arity)}) with an optional "
                                 f"integer slot, got {_v.shorten(node, 120)}")
            inputs = node[1:1 + arity]
            if not expanded:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(inputs))
                continue
            if node[0] == "swap":
                (a, wa), (b, wb) = spans[id(inputs[0])], spans[id(inputs[1])]
                if b != a + wa:
                    left, right = _v.shorten(inputs[0], 120), _v.shorten(inputs[1], 120)
                    raise ValueError(f"a swap joins adjacent links: {left} ends at node {a + wa}, {right} starts at "
                                     f"node {b}")
                spans[id(node)] = (a, wa + wb)
            else:
                spans[id(node)] = spans[id(inputs[0])]
            built[id(node)] = (node[0], *(built[id(c)] for c in inputs), slot)
            slot += 1
        out = built[id(root)]
        first, width = spans[id(root)]
        if first != 0:
            raise ValueError(f"the links must be numbered from 0, got a tree over links {first}..{first + width - 1}")
        return cls._make(out, width + 1, slot, None, _tokens_of(out))

    # ------------------------------------------------------------ properties
    @property
    def root(self) -> tuple:
        """The tree as nested tuples: ``("link", i)``, ``("swap", left, right, slot)``, ``("distill", child, slot)``."""
        return self._root

    @property
    def n_nodes(self) -> int:
        """Number of chain nodes."""
        return self._n_nodes

    @property
    def n_segments(self) -> int:
        """Number of elementary links."""
        return self._n_nodes - 1

    @property
    def n_slots(self) -> int:
        """Number of cut-off slots (levels of a nested schedule, tokens of a sequence)."""
        return self._n_slots

    @property
    def n_operations(self) -> int:
        """Swaps and distillations in the tree (a distillation's second copy counted once, as in the tokens)."""
        return len(self._tokens)

    @property
    def slot_name(self) -> str:
        """What a cut-off slot is: ``"level"`` (nested schedule) or ``"token"`` (sequence)."""
        return "level" if self._levels is not None else "token"

    @property
    def levels(self) -> tuple[str, ...] | None:
        """The nested levels this schedule was built from (``None`` for a sequence)."""
        return self._levels

    @property
    def tokens(self) -> tuple[str, ...]:
        """The schedule in La Corte et al.'s notation (for a nested schedule: one equivalent order)."""
        return self._tokens

    @property
    def has_distillation(self) -> bool:
        """True when any operation is a distillation."""
        return any(t.startswith("d") for t in self._tokens)

    @property
    def distill_depth(self) -> int:
        """Most distillations on one path from the root to a link: each doubles the links that path consumes."""
        return distill_depth(self._root)

    @property
    def circuits(self) -> tuple:
        """Per cut-off slot, the circuit its distillation names (``None``: a swap, or the chain's protocol)."""
        return self._circuits

    def copies(self, arity: int = 2) -> int:
        """Most copies of one elementary link a single delivery holds at once: the largest product, over the paths
        from the root to a link, of each distillation's number of pairs (``arity`` for the unnamed ones).

        Examples
        --------
        >>> import qnet
        >>> qnet.Schedule(("distill", "double_selection", "swap")).copies()
        6
        """
        def own(node: tuple) -> int:
            name = self._circuits[node[-1]]
            return arity if name is None else CIRCUITS[name].arity

        return link_copies(self._root, own)

    # ------------------------------------------------------------ comparison and display
    def same_tree(self, other: "Schedule") -> bool:
        """True when both schedules perform the same operations on the same links, whatever their cut-off slots."""
        return isinstance(other, Schedule) and _shape(self._root, self._circuits) == _shape(other._root,
                                                                                               other._circuits)

    def _key(self) -> tuple:
        # the tokens (with the levels of a nested schedule) and the node and slot counts decide the tree and its
        # slots; a flat key, so comparing and hashing never recurse through a deep tree
        return self._tokens, self._levels, self._n_nodes, self._n_slots

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self._levels is not None:
            return f"Schedule.from_levels({self._levels!r}, n_segments={self.n_segments})"
        return f"Schedule.from_sequence({self._tokens!r}, n_nodes={self._n_nodes})"

    def __str__(self) -> str:
        lines: list[str] = []
        stack = [(self._root, "", "")]
        while stack:  # pre-order without recursion
            node, prefix, tail = stack.pop()
            a, w = span(node)
            where = f"[{a}-{a + w}]"
            if node[0] == "link":
                label = f"link {node[1]} {where}"
            elif node[0] == "distill":
                name = self._circuits[node[-1]]
                label = f"distill {where}" if name is None else f"distill ({name}) {where}"
            else:
                label = f"swap at node {span(node[1])[0] + span(node[1])[1]} {where}"
            lines.append(prefix + label)
            kids = children(node)
            for i in reversed(range(len(kids))):
                last = i == len(kids) - 1
                stack.append((kids[i], tail + ("└── " if last else "├── "), tail + ("    " if last else "│   ")))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON form: the tokens and the node count (and the levels of a nested schedule)."""
        out = {"n_nodes": self._n_nodes, "tokens": list(self._tokens)}
        if self._levels is not None:
            out["levels"] = list(self._levels)
        return out


def _node_count(n_nodes: Any) -> int:
    if isinstance(n_nodes, bool) or not hasattr(n_nodes, "__index__"):
        raise TypeError(f"n_nodes must be an integer >= 2, got {type(n_nodes).__name__} {n_nodes!r}")
    n_nodes = int(n_nodes)
    if not 2 <= n_nodes <= MAX_SCHEDULE_NODES:
        raise ValueError(f"n_nodes must be an integer in [2, MAX_SCHEDULE_NODES = {MAX_SCHEDULE_NODES}], got {n_nodes}")
    return n_nodes


def _parse(token: Any, k: int, n_nodes: int) -> tuple[str, int, str | None]:
    m = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if m is None:
        raise ValueError(f"tokens[{k}] = {token!r} is not a token: use 's<i>' (swap), 'd<i>' (distil) or "
                         f"'d<i>:<circuit>', e.g. 's0'")
    kind, i, name = m.group(1), int(m.group(2)), m.group(3)
    if name is not None and (kind == "s" or name not in DISTILL_CIRCUITS):
        raise ValueError(f"tokens[{k}] = {token!r}: only a distillation names a circuit, one of "
                         f"{', '.join(map(repr, DISTILL_CIRCUITS))}")
    top = n_nodes - 3 if kind == "s" else n_nodes - 2
    if i > top:
        raise ValueError(f"tokens[{k}] = {token!r}: index {i} out of range; with n_nodes={n_nodes}, {kind}_i takes "
                         f"i in 0..{top}")
    return kind, i, name


def _canonical(token: str) -> str:
    m = _TOKEN.fullmatch(token)
    return f"{m.group(1)}{int(m.group(2))}" + (f":{m.group(3)}" if m.group(3) else "")


def _shape(root: tuple, circuits: tuple) -> tuple[str, ...]:
    """The tree without its cut-off slots, as a flat sequence: the post-order of its nodes' kinds (a distillation's
    circuit, if it names one) and links."""
    return tuple(f"l{n[1]}" if n[0] == "link" else f"d:{circuits[n[-1]]}" if n[0] == "distill" else n[0][0]
                 for n in postorder(root))


def distill_depth(root: tuple) -> int:
    """Most distillations on one path from ``root`` to a link (engine tier; iterative)."""
    depth: dict[int, int] = {}
    for node in postorder(root):
        kids = children(node)
        depth[id(node)] = (node[0] == "distill") + max((depth[id(c)] for c in kids), default=0)
    return depth[id(root)]


def _tokens_of(root: tuple, circuits: tuple | None = None) -> tuple[str, ...]:
    """An equivalent token sequence of a tree (post-order: children first, left before right), each distillation
    with the circuit its slot names."""
    out: list[str] = []
    for node in postorder(root):
        if node[0] == "distill":
            a, w = span(node)
            name = circuits[node[-1]] if circuits is not None else None
            out.append(f"d{a + w - 1}" + (f":{name}" if name else ""))
        elif node[0] == "swap":
            la, lw = span(node[1])
            out.append(f"s{la + lw - 1}")
    return tuple(out)
