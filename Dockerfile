# notion-syncd in a container: see docs/operations.md ("Docker").
# Runs as a numeric non-root user, works with a read-only root file system
# (docker run --read-only --tmpfs /tmp), keeps the mirror on the /data volume,
# reads the Notion token from the Docker secret /run/secrets/notion-token.

# The base, pinned by digest (python:3.11-slim; docs/operations.md says where the digest
# comes from and how to refresh it). Override only to build from a mirror of the same image.
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# --- build: a wheel of notion-syncd alone (its dependencies come from the lock) ---
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY notion_syncd ./notion_syncd
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

# --- runtime ---
FROM ${PYTHON_IMAGE}
ARG PYTHON_IMAGE
# Set by the build (docker build --build-arg REVISION=$(git rev-parse HEAD) --build-arg
# CREATED=$(date -u +%FT%TZ)); "unknown" otherwise.
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="notion-syncd" \
      org.opencontainers.image.description="Mirror a whole Notion workspace into a Git repository, incrementally." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
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
# Every dependency at the version and hash of requirements.lock (binary wheels only),
# then the package itself without resolving anything.
COPY requirements.lock /opt/dist/
COPY --from=build /dist/ /opt/dist/
COPY deploy/docker/healthcheck.py /usr/local/lib/notion-syncd/healthcheck.py
# git itself consolidates the mirror's pack files (notion_syncd/gitpack.py: it copies
# stored deltas where libgit2 computes them again, 0.2-0.3 s a consolidation instead of
# up to 4 s) and writes the multi-pack index (a lookup then probes one table, not each
# pack); without it libgit2 consolidates, slower, and there is no multi-pack index.
# Not pinned to a version: Debian stable's git changes only for security fixes, which
# the image should take, and a pinned version vanishes from the archive at the next one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir --no-compile --root-user-action=ignore \
        --require-hashes --only-binary :all: -r /opt/dist/requirements.lock \
    && pip install --no-cache-dir --no-compile --root-user-action=ignore --no-deps /opt/dist/*.whl \
    && rm -rf /opt/dist \
    && mkdir -p /data /etc/notion-syncd \
    && chown 10001:10001 /data \
    && chmod 0700 /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9184
# Liveness of the scheduler loop at the address server.listen gives (read from the same
# config and environment as the daemon); slim images have no curl.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/usr/local/lib/notion-syncd/healthcheck.py"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["notion-syncd"]
CMD ["run", "--config", "/etc/notion-syncd/config.toml"]
