# syntax=docker/dockerfile:1
#
# OpenLink server image: PostgreSQL, Redis and Firefox-translations support built in.
#
#   docker build -t openlink .
#   docker run --rm -p 8000:8000 -v openlink-data:/data openlink            # SQLite in /data
#   docker run --rm openlink migrate                                        # any subcommand
#
# Several nodes behind a load balancer: deploy/compose.yaml and docs/operations.md.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: every wheel the runtime needs, compilers available for any sdist ---------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the package is built from (.dockerignore keeps the rest out of the context).
COPY pyproject.toml README.md ./
COPY src ./src

# The web app's npm packages (docs/decisions/0027-npm-assets.md): the locked tarballs,
# integrity-checked, their listed files written into the package before it is built, so
# the wheel carries them (package-data `web/**/*`). Standard library only.
RUN PYTHONPATH=src python -m openlink.webvendor fetch

RUN pip wheel --wheel-dir /wheels ".[postgres,redis,fxtranslate]"

# --- runtime: the slim base, the wheels installed, no compilers, no pip cache -------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed uid/gid, so that volume ownership and Kubernetes' runAsNonRoot are predictable.
RUN groupadd --system --gid 10001 openlink \
 && useradd --system --uid 10001 --gid openlink --create-home --home-dir /home/openlink \
        --shell /usr/sbin/nologin openlink \
 && mkdir -p /data/models \
 && chown -R openlink:openlink /data

# The wheels are bind-mounted from the build stage, so they never become a layer.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels "openlink[postgres,redis,fxtranslate]"

# OPENLINK_DATA_DIR holds the SQLite database (single node) and the translation models
# (OPENLINK_MODELS_DIR defaults to /data/models); with PostgreSQL only the models. A new
# named volume mounted on /data or /data/models starts with this ownership (uid 10001);
# a bind mount must be writable by uid 10001 itself.
ENV OPENLINK_HOST=0.0.0.0 \
    OPENLINK_PORT=8000 \
    OPENLINK_DATA_DIR=/data

VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8000

# Liveness only: /healthz answers while the process serves. Readiness (/readyz: database
# and broker reachable, not draining) is for the load balancer, not for restarting a node.
# python -c because the slim base has no curl; urlopen raises (exit 1) on any non-2xx.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OPENLINK_PORT', '8000'), timeout=4)"]

# SIGTERM drains: /readyz answers 503 for OPENLINK_DRAIN_S (default 5 s), then sockets
# close with 1012 and uvicorn allows up to 10 s for in-flight requests. Give the container
# a stop timeout longer than OPENLINK_DRAIN_S + 10 s (docker stop -t, stop_grace_period,
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM

# `openlink serve` by default; any other subcommand as arguments (`migrate`, `admin ...`).
ENTRYPOINT ["openlink"]
CMD ["serve"]
