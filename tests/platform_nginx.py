"""nginx as the Elastic Beanstalk Docker platform runs it, with this app's ``.platform``
configuration in it: for the deploy tests and the page-weight benchmark."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.browser import free_port

ROOT = Path(__file__).resolve().parents[1]
NGINX_DIR = ROOT / ".platform" / "nginx" / "conf.d"

SERVER_GZIP = {
    "docker": "gzip on;\n    gzip_comp_level 4;\n    gzip_types text/plain text/css "
    "application/json application/x-javascript text/xml application/xml text/javascript;",
    "off": "gzip off;\n    gzip_comp_level 4;\n    gzip_types text/plain text/css "
    "application/json application/javascript application/x-javascript text/javascript;",
}
"""The gzip lines of the platform's server block, as published from instances: the Docker
platform's compresses, but not ``application/javascript`` (Streamlit's JavaScript);
other platforms' (Python, Node.js) have ``gzip off``. Which one Amazon Linux 2023's
Docker platform has is not published; the configuration must work with either."""

PLATFORM_SERVER_BLOCK = """
  map $http_upgrade $connection_upgrade {
      default "upgrade";
  }
  server {
    listen 127.0.0.1:LISTEN_PORT default_server;
    SERVER_GZIP
    location / {
        proxy_pass          http://docker;
        proxy_http_version  1.1;
        proxy_set_header    Connection          $connection_upgrade;
        proxy_set_header    Upgrade             $http_upgrade;
        proxy_set_header    Host                $host;
        proxy_set_header    X-Real-IP           $remote_addr;
        proxy_set_header    X-Forwarded-For     $proxy_add_x_forwarded_for;
    }
    include conf.d/elasticbeanstalk/*.conf;
  }
"""
"""The server block of the Elastic Beanstalk Docker platform's own /etc/nginx/nginx.conf
(as published from instances; port made free, gzip lines from :data:`SERVER_GZIP`): it
has ``location /`` itself, with the websocket upgrade and X-Forwarded-For, and includes
conf.d/elasticbeanstalk/*.conf inside the server block. A second ``location /`` or
``gzip`` directive there stops nginx, and the deploy."""


def nginx_program() -> str | None:
    """Where nginx is installed, or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def write_platform_config(
    directory: Path,
    listen_port: int,
    app_port: int,
    server_gzip: str = "docker",
    leave_out: tuple[str, ...] = (),
) -> Path:
    """The platform's nginx.conf, listening on ``listen_port`` and passing to the app on
    ``app_port`` (the platform's upstream "docker"), its server block's gzip lines
    ``SERVER_GZIP[server_gzip]``, with this app's conf.d copied in but for the files
    named in ``leave_out``: its path. http includes conf.d/*.conf, then the server block."""
    shutil.copytree(NGINX_DIR, directory / "conf.d", ignore=shutil.ignore_patterns(*leave_out))
    config = directory / "nginx.conf"
    config.write_text(
        f"pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
        "events {}\nhttp {\n  access_log off;\n"
        "  include conf.d/*.conf;\n"
        + "".join(
            f"  {kind}_temp_path {directory}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  upstream docker {{ server 127.0.0.1:{app_port}; }}\n"
        + PLATFORM_SERVER_BLOCK.replace("LISTEN_PORT", str(listen_port)).replace(
            "SERVER_GZIP", SERVER_GZIP[server_gzip]
        )
        + "}\n"
    )
    return config


@contextlib.contextmanager
def platform_nginx(directory: Path, app_port: int, **settings: object) -> Iterator[str]:
    """nginx running the platform's configuration (:func:`write_platform_config`, with
    ``settings``) in front of the app on ``app_port``: its URL. RuntimeError if nginx is
    missing or does not listen within 10 s."""
    program = nginx_program()
    if program is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    port = free_port()
    config = write_platform_config(directory, port, app_port, **settings)
    server = subprocess.Popen(
        [program, "-p", str(directory), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {server.stderr.read().decode()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
