"""TLS: certificates are verified for https endpoints, and nothing turns that off.

A loopback https server with a self-signed certificate (made by ``openssl``) is refused with a
clear one-line error before any request (and so any signature or token) is sent; the same server
is reachable when its certificate is trusted explicitly, proving the refusal is the check. The
client built for the real service verifies certificates and host names, whatever the
environment says, and no command has an option to skip verification.
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli.commands import cli
from reconciler.remote.client import CIClient
from reconciler.remote.credentials import Credentials
from tests.helpers.identity import ENV
from tests.helpers.manifests import write_manifests
from tests.helpers.processes import run_cli

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
# Variables that switch verification off (or swap the trust store) in other tools.
HOSTILE_ENV = {"PYTHONHTTPSVERIFY": "0", "CURL_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "",
               "HTTPX_VERIFY": "0", "SSL_VERIFY": "false"}  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:
        _Handler.seen.append(self.path)
        body = b"<Response><TemplateList/></Response>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(URL, certificate) of a loopback https server with a self-signed certificate."""
    home = tmp_path_factory.mktemp("tls")
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    thread.join()
    server.server_close()


def test_self_signed_server_is_refused_before_any_request(
    tmp_path: Path, https: tuple[str, Path]
) -> None:
    url, cert = https
    _Handler.seen.clear()
    manifests = write_manifests(tmp_path / "m", 2)
    argv = ["--endpoint", url, "--state", str(tmp_path / "s.json"), "plan", str(manifests)]
    result = CliRunner().invoke(cli, argv, env={**ENV, **HOSTILE_ENV, "SSL_CERT_FILE": str(cert)})
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and re.search(r"CERTIFICATE_VERIFY_FAILED|certificate", errors[0])
    assert _Handler.seen == [], "nothing may be sent over an unverified connection"
    with httpx.Client(verify=ssl.create_default_context(cafile=str(cert))) as trusting:
        assert trusting.get(url + "/template").status_code == 200  # the server itself works
    assert _Handler.seen == ["/template"]


def test_refused_in_a_process_whatever_the_environment(
    tmp_path: Path, https: tuple[str, Path]
) -> None:
    url, _ = https
    manifests = write_manifests(tmp_path / "m", 2)
    done = run_cli(tmp_path / "s.json", url, "plan", str(manifests),
                   env={**ENV, **HOSTILE_ENV, "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 1 and "certificate" in done.stderr.lower(), done.stderr
    assert "Traceback" not in done.stderr


def test_client_for_the_real_service_verifies_certificates_and_hosts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in HOSTILE_ENV.items():
        monkeypatch.setenv(name, value)
    with CIClient("media-1250000000", "ap-chongqing", Credentials("AKIDx", "k")) as client:
        http = client._x._http  # the httpx client talking to *.myqcloud.com
        context: ssl.SSLContext = http._transport._pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert http.follow_redirects is False


def test_no_command_offers_to_skip_verification() -> None:
    commands = ["--help", "validate --help", "plan --help", "apply --help", "wait --help",
                "status --help", "force-unlock --help", "emulator serve --help"]  # fmt: skip
    for command in commands:
        text = CliRunner().invoke(cli, command.split()).output.lower()
        for word in ("insecure", "verify", "no-tls", "skip-tls", "ca-bundle", "cacert"):
            assert word not in text, (command, word)
