# notion-syncd in a container: see docs/operations.md ("Docker").
# Runs as a numeric non-root user, works with a read-only root file system
# (docker run --read-only --tmpfs /tmp), keeps the mirror on the /data volume,
# reads the Notion token from the Docker secret /run/secrets/notion-token.

# --- build: a wheel of notion-syncd (its dependencies all ship binary wheels) ---
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY notion_syncd ./notion_syncd
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

# --- runtime ---
FROM python:3.11-slim
# No .pyc writes (read-only root), unbuffered logs to stdout, HOME on the volume
# (libgit2 reads ~/.ssh/known_hosts there), /metrics reachable from outside the
# container (publish it on the host's loopback only: -p 127.0.0.1:9184:9184), and
# the mirror on the volume.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/data \
    TMPDIR=/tmp \
    NOTION_SYNCD_SERVER__LISTEN=0.0.0.0:9184 \
    NOTION_SYNCD_EXPORT__REPO=/data/mirror
COPY --from=build /dist/ /opt/dist/
RUN pip install --no-cache-dir --no-compile --root-user-action=ignore /opt/dist/*.whl \
    && rm -rf /opt/dist \
    && mkdir -p /data /etc/notion-syncd \
    && chown 10001:10001 /data \
    && chmod 0700 /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9184
# Liveness of the scheduler loop; slim images have no curl, so Python asks /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9184/healthz', timeout=5).status == 200 else 1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["notion-syncd"]
CMD ["run", "--config", "/etc/notion-syncd/config.toml"]
