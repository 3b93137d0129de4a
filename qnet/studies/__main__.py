"""``python -m qnet.studies``: list the studies, one line each (run one with ``python -m qnet.studies.<name>``)."""

import argparse
import importlib

from .gallery import study_names, summary_line


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="python -m qnet.studies", description=__doc__).parse_args(argv)
    names = study_names()
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {summary_line(importlib.import_module(f'qnet.studies.{name}'))}")
    print("\nRun one with: python -m qnet.studies.<name> --help   (all: python -m qnet.studies.gallery)")


if __name__ == "__main__":
    main()
