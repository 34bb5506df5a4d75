"""Run the ``openlink`` command in a subprocess: ``python -m openlink.bench.server serve ...``.

The benchmark starts the server this way (with ``sys.executable``) so that it measures the
exact interpreter and package it runs in, whatever is on ``PATH``.
"""

from __future__ import annotations

import sys

from openlink.cli import main

if __name__ == "__main__":
    sys.argv[0] = "openlink"
    main()
