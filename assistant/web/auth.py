"""Who may use the web app: loopback binding by default, and sign-in credentials from
ASSISTANT_AUTH / ASSISTANT_AUTH_FILE, required to listen on any other address."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from ..config import Settings
from ..errors import UsageError



def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]")
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_pair(line: str, where: str) -> tuple[str, str]:
    user, sep, password = line.strip().partition(":")
    if not sep or not user.strip() or not password:
        raise UsageError(f"{where}: expected user:password, got {line.strip()[:40]!r}")
    return user.strip(), password


def load_auth(environ: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Credentials from ASSISTANT_AUTH ("user:password") and/or ASSISTANT_AUTH_FILE (one per line)."""
    env = os.environ if environ is None else environ
    pairs: list[tuple[str, str]] = []
    if env.get("ASSISTANT_AUTH"):
        pairs.append(_parse_pair(env["ASSISTANT_AUTH"], "ASSISTANT_AUTH"))
    if env.get("ASSISTANT_AUTH_FILE"):
        path = Path(env["ASSISTANT_AUTH_FILE"]).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"ASSISTANT_AUTH_FILE {path} cannot be read ({exc.strerror or exc})") from None
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                pairs.append(_parse_pair(line, f"{path} line {number}"))
        if not pairs:
            raise UsageError(f"ASSISTANT_AUTH_FILE {path} holds no user:password line")
    return pairs


def resolve_auth(settings: Settings, environ: dict[str, str] | None = None) -> list[tuple[str, str]] | None:
    """The launch ``auth``; refuses a non-loopback address without credentials."""
    pairs = load_auth(environ)
    if not pairs and not is_loopback(settings.host):
        raise UsageError(
            f"authentication is required to listen on {settings.host} (reachable from other machines): "
            "set ASSISTANT_AUTH=user:password or ASSISTANT_AUTH_FILE=/path/to/file (lines user:password), "
            "or keep the default --host 127.0.0.1"
        )
    return pairs or None
