"""``python -m bizportal.sandbox_trust``: serve the TSA, OCSP and CRL for the dev CA.

Options also come from the environment: ``LICENCE_KEY_DIR`` for ``--key-dir`` and
``LICENCE_TRUST_URL`` for ``--url`` (the base URL the certificates name, which is
where this process must be reachable); the command line wins.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from . import pki
from .server import make


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python -m bizportal.sandbox_trust",
        description="Sandbox TSA (RFC 3161), OCSP (RFC 6960) and CRL for the development CA.",
    )
    url = os.environ.get("LICENCE_TRUST_URL", "")
    parse.add_argument(
        "--key-dir",
        type=Path,
        default=os.environ.get("LICENCE_KEY_DIR"),
        required="LICENCE_KEY_DIR" not in os.environ,
        help="the development CA's directory (settings.LICENCE_KEY_DIR)",
    )
    parse.add_argument(
        "--url",
        default=url or None,
        help="the base URL written into certificates (LICENCE_TRUST_URL)",
    )
    parse.add_argument("--host", default=None, help="address to listen on (default: from --url)")
    parse.add_argument(
        "--port", type=int, default=None, help="port (default: from --url, else 8767)"
    )
    parse.add_argument("--log-level", default="INFO")
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    options = parser().parse_args(argv)
    logging.basicConfig(level=options.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    parts = urlsplit(options.url or "")
    host = options.host or parts.hostname or "127.0.0.1"
    port = options.port if options.port is not None else (parts.port or 8767)
    if options.url and parts.port and options.port is not None and parts.port != options.port:
        print(
            f"warning: certificates will name {options.url}, this listens on port {port}",
            file=sys.stderr,
        )
    key_dir = Path(options.key_dir)
    try:
        server = make(host, port, key_dir, options.url)  # port 0: the URL names the one bound
    except OSError as error:
        print(f"sandbox trust services could not start: {error}", file=sys.stderr)
        return 1
    trust_url = str(getattr(server.get_app(), "trust_url", options.url))
    # the service certificates exist before the first request, not during it
    pki.ensure_tsa(key_dir, trust_url)
    pki.ensure_ocsp_responder(key_dir, trust_url)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("bizportal.sandbox_trust").info(
        "serving %s on %s:%s for %s", trust_url, host, server.server_port, key_dir
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
