# Bridgebot: the bot in one process (HTTP on $PORT, or Socket Mode), migrating its database at start.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

RUN groupadd --system --gid 10001 bridgebot \
    && useradd --system --create-home --uid 10001 --gid bridgebot --shell /usr/sbin/nologin bridgebot

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir . \
    && mkdir /app/data \
    && chown 10001:10001 /app/data

# SQLite's default file (data/bridgebot.db) lives here; with PostgreSQL (DATABASE_URL) nothing is written.
VOLUME ["/app/data"]
USER 10001:10001
EXPOSE 3000

# /healthz on METRICS_PORT when set (both modes), else on PORT (HTTP mode).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "bot.healthcheck"]

# Migrations run by themselves at start, as outside a container. SIGTERM stops it gracefully within 25 s.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
