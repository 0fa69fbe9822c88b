"""Serve the demo's time-stamping authority (RFC 3161) on loopback until stopped, and the
demo root's CRL that the demo certificates name.

scripts/demo.sh starts it beside the web server, so that signatures made in the demo are
PAdES B-T and completed MoUs get their archive timestamp (B-LTA). Never for production:
configure SIGNING_TSA_URL to a real time-stamping authority there.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from partnerships.signing.demo_tsa import serve_demo_tsa


class Command(BaseCommand):
    help = "Serve the DEMO time-stamping authority and CRL on 127.0.0.1 until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.DEMO_TSA_PORT)

    def handle(self, *args, port, **options):
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        with serve_demo_tsa(settings.DEMO_PKI_DIR, port=port) as url:
            self.stdout.write(f"DEMO time-stamping authority at {url}")
            stopping.wait()
