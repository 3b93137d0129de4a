"""Keep ``pytest docs`` (with ``--doctest-modules``) from importing the Sphinx configuration and the
tutorial scripts: importing them would write generated pages or run a whole tutorial. They are
tested by ``tests/test_docs.py`` instead."""

collect_ignore = ["conf.py"]
collect_ignore_glob = ["tutorials/*.py", "_build/*"]
