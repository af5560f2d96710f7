"""Serving a WSGI app on a real local socket for a test (sandboxes, fake peers)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def serve(app: Callable[..., object]) -> Iterator[str]:
    """Serve a WSGI app on a free local port, as the local gateway will; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
