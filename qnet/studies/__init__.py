"""Studies: command-line jobs that compute data, then write figures (PNG + PDF) and the data behind them.

Run one with ``python -m qnet.studies.<name> --help``.
"""
