"""`tpi-skill insights` never sends its bearer token anywhere but the URL it was given.

urllib follows redirects and keeps the Authorization header on them, to any host; a /metrics server
(or anyone who can make it answer 302) could collect the token. Two local servers: the first redirects
to the second, which records what it receives.
"""

from __future__ import annotations

import http.server

import pytest

from skill.tools.insights.counts import InsightsError
from skill.tools.insights.sources import fetch_metrics
from tests.helpers_server import http_server

TOKEN = "a-secret-token-0123456789"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_refused_in_one_line_and_the_token_goes_nowhere(code: int) -> None:
    received: list[str | None] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"# TYPE tpi_skill_requests counter\n")

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    with http_server(Collector) as elsewhere:

        class Redirector(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(code)
                self.send_header("Location", f"{elsewhere}/collect")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        with http_server(Redirector) as metrics, pytest.raises(InsightsError) as refused:
            fetch_metrics(f"{metrics}/metrics", TOKEN, timeout=5)
    message = str(refused.value)
    assert "\n" not in message and f"HTTP {code}" in message and "redirect" in message
    assert TOKEN not in message
    assert received == []  # the second server was never called, so never saw the token
