#!/usr/bin/env python3
"""Runs scripts/standins/smtp_sink.py so that other containers can reach it.

The sink binds 127.0.0.1 (it is made for tests on one machine), which the servers in other containers
cannot reach. This wrapper imports it unchanged and only swaps the address it listens on: 0.0.0.0, or
SMTP_SINK_HOST. Every argument is the sink's own (--port, --dir, --auth, ...).

    python infra/smtp/sink.py --port 2525 --dir /mail

STANDINS_DIR names the folder holding smtp_sink.py (compose mounts ../scripts/standins at /standins).
"""
import os
import sys

sys.path.insert(0, os.environ.get("STANDINS_DIR", "/standins"))

import smtp_sink  # noqa: E402  (found through STANDINS_DIR)


class ReachableSinkController(smtp_sink.SinkController):
    """The sink's controller, listening on SMTP_SINK_HOST (default: every interface)."""

    def __init__(self, handler, hostname=None, **options):
        super().__init__(handler, hostname=os.environ.get("SMTP_SINK_HOST", "0.0.0.0"), **options)


smtp_sink.SinkController = ReachableSinkController

if __name__ == "__main__":
    sys.exit(smtp_sink.main())
