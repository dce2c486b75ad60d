# syntax=docker/dockerfile:1
# Veille's image: the runtime lock exactly (every package pinned with its hash), then Veille
# itself without dependencies, as `make run` installs it. One image serves every role:
#   docker run … veille:local run --role poller | --role chat | (nothing: --role all)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# spaCy's French model is published with spaCy's releases on GitHub, not on PyPI: pip may look
# there for it, and still installs nothing whose hash differs from the lock's.
ARG MODEL_LINKS=https://github.com/explosion/spacy-models/releases/expanded_assets/fr_core_news_md-3.8.0
COPY requirements.lock ./
RUN pip install --require-hashes --find-links "$MODEL_LINKS" -r requirements.lock

# The lock holds setuptools, so Veille builds without fetching anything unpinned.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY digests ./digests
RUN pip install --no-deps --no-build-isolation . \
    && useradd --create-home --uid 10001 veille \
    && mkdir /data && chown veille /data

USER veille
# SQLite's file when VEILLE_DB is not a postgresql:// URL (--role all on one machine).
ENV VEILLE_DB=/data/veille.db
VOLUME ["/data"]
ENTRYPOINT ["veille"]
CMD ["run"]
