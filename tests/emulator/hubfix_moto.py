#!/usr/bin/env python3
"""moto's server with hubfix's patches: the AWS emulator for end-to-end tests.

    python3 tests/emulator/hubfix_moto.py -H 127.0.0.1 -p PORT

Takes moto's own server options (moto.server.main). Before moto serves
anything it patches the service Response classes (patches/<service>.py) and
wraps the WSGI app in the /hubfix-test/ middleware (patches/testapi.py).
See README.md next to this file.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import moto.server  # noqa: E402

from patches import apply_all, testapi  # noqa: E402


def main(argv=None):
    apply_all()
    run_simple = moto.server.run_simple
    # moto.server.main builds its app and hands it to run_simple: wrap it there.
    moto.server.run_simple = lambda host, port, app, **kw: run_simple(host, port, testapi.Middleware(app), **kw)
    moto.server.main(argv)


if __name__ == "__main__":
    main()
