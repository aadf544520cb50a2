# Citizen Desk: the Telegram bot in a container.
#   docker build -t citizen-desk .
#   docker run -e TELEGRAM_BOT_TOKEN=123456:AA… -v desk-data:/data -v desk-kb:/knowledge citizen-desk
# The knowledge directory and the database live in volumes; the sample KB is copied into
# /knowledge so a new volume starts from it. CI runs the same install and start commands
# without Docker (tests/test_container.py reads them from this file).
FROM python:3.11-slim

# Optional extras of the package: "[postgres]" adds psycopg for a PostgreSQL database
# (deploy/compose.yaml sets it); empty, the image runs on SQLite only.
ARG EXTRAS=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CITIZEN_DESK_KB=/knowledge \
    CITIZEN_DESK_DB=/data/citizen-desk.sqlite3 \
    CITIZEN_DESK_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install "/app/${EXTRAS}" && cp -r /app/knowledge /knowledge

RUN useradd --create-home --uid 10001 desk \
    && mkdir -p /data \
    && chown -R desk:desk /data /knowledge
USER desk

VOLUME ["/knowledge", "/data"]
EXPOSE 8443

HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["citizen-desk", "health"]

CMD ["citizen-desk", "run"]
