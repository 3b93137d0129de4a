"""``python -m qnet``: a small demo table (Werner pairs idling in a depolarizing memory)."""

import numpy as np

import qnet


def main() -> None:
    times = np.array([0.0, 0.05, 0.1, 0.2, 0.5])
    print(f"qnet {qnet.__version__}: Werner pairs idling in a depolarizing memory (gamma = 1)")
    print(f"{'F0':>6} " + " ".join(f"{'t=' + format(t, 'g'):>9}" for t in times))
    for F0 in (0.8, 0.9, 0.95, 0.99):
        lam = qnet.idle(qnet.werner(F0), qnet.depolarizing_rates(1.0), times)
        print(f"{F0:>6.2f} " + " ".join(f"{f:>9.4f}" for f in qnet.fidelity(lam)))


if __name__ == "__main__":
    main()
