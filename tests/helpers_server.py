"""The skill's web service on a free loopback port, for tests that need a real HTTP endpoint.

Runs `skill.web.service.create_app(verify=False)` (unsigned requests are fine on 127.0.0.1 only) in a
background thread with werkzeug's server, and shuts it down when the `with` block ends, whatever
happened inside.

"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from skill.web.service import create_app

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0


@contextmanager
def running_skill() -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>/``) of a threaded server answering Alexa envelopes."""
    server = make_server(HOST, 0, create_app(verify=False), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="skill-web", daemon=True)
    thread.start()
    url = f"http://{HOST}:{server.server_port}/"
    try:
        with urllib.request.urlopen(f"{url}healthz", timeout=READY_TIMEOUT_S) as reply:
            assert reply.status == 200, f"/healthz answered {reply.status}"
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=READY_TIMEOUT_S)
