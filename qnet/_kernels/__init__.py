"""Private numba kernels.

Every kernel is compiled through :data:`jit` (``cache=True`` so a second
process reuses the machine code, ``error_model="numpy"`` so division follows
IEEE rules instead of raising). Kernels never validate input and never raise:
the public wrappers in ``qnet/*.py`` check and reshape arrays first.
"""

from functools import partial

import numba

jit = partial(numba.njit, cache=True, error_model="numpy", nogil=True)

__all__ = ["jit"]
