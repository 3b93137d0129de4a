"""``python -m qnet``: a short demonstration table (when to purify two Werner pairs).

Link 1 is heralded at 0, link 2 at t1 = 0.01/gamma, the pair is consumed at t2 = 0.1/gamma, both links
start as Werner pairs of fidelity 0.95 and every memory decoheres with total rate gamma and the error
pattern named in the first column. The main study is ``python -m qnet.studies.optimal_time``.
"""

import qnet

PATTERNS = {
    "dephasing (0, 0, 1)": (0.0, 0.0, 1.0),
    "depolarizing (1/3, 1/3, 1/3)": (1 / 3, 1 / 3, 1 / 3),
    "bit flip (1, 0, 0)": (1.0, 0.0, 0.0),
    "near the border (0.27, 0.27, 0.46)": (0.27, 0.27, 0.46),
}


def main(argv: list[str] | None = None) -> None:
    import argparse

    argparse.ArgumentParser(prog="python -m qnet", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog="The studies: python -m qnet.studies").parse_args(argv)
    w = qnet.werner(0.95)
    print(f"qnet {qnet.__version__}: when to purify two Werner pairs (F0 = 0.95), t1 = 0.01/gamma, t2 = 0.1/gamma")
    print(f"{'memory pattern (a, b, c)':<36} {'t* [1/gamma]':>12} {'where':>9} {'F(t*)':>8} {'F no EPP':>9} {'p_succ':>7}")
    for name, pattern in PATTERNS.items():
        res = qnet.optimal_purification_time(w, w, qnet.pauli_rates(1.0, pattern), t1=0.01, t2=0.1)
        print(f"{name:<36} {res.t:>12.4f} {res.location:>9} {res.value:>8.4f} {res.no_epp_value:>9.4f} "
              f"{res.p_success:>7.4f}")
    print("Full study with figures: python -m qnet.studies.optimal_time")


if __name__ == "__main__":
    main()
