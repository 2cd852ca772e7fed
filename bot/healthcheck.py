"""`python -m bot.healthcheck`: exit 0 when this host's bot answers GET /healthz with 200, else 1 (the
container's HEALTHCHECK; no curl in a slim image). It asks METRICS_PORT when set, which serves /healthz in
both modes, else PORT (HTTP mode)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

from bot.config import load_environment

TIMEOUT_SECONDS = 4


def healthz_url(env: Mapping[str, str]) -> str:
    port = env.get("METRICS_PORT", "").strip() or env.get("PORT", "").strip() or "3000"
    return f"http://127.0.0.1:{port}/healthz"


def main(env: Mapping[str, str] | None = None) -> int:
    url = healthz_url(load_environment() if env is None else env)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            healthy = response.status == 200
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
