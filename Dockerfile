# syntax=docker/dockerfile:1.7
# One image for every Node service of Auditflow. The packages are compiled in the image
# (`pnpm build`: tsc -b, each package's src/ into its dist/) and every service runs its
# dist/main.js with plain node, as `pnpm auditflow up` runs them. The first argument picks the
# service:
#   docker run auditflow gateway | sanitizer | enricher | fused | indexer | archiver | streamer |
#              query-api | demo | cli <auditflow arguments...>
# Anything else is executed as given.

# Only the manifests, so the dependency layer below is rebuilt when they change, not on every
# source edit.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name pnpm-lock.yaml ! -name pnpm-workspace.yaml -delete \
 && find . -depth -type d -empty -delete

FROM node:24-bookworm-slim AS service
# Corepack cannot verify pnpm's signature offline in some build environments, so pnpm comes
# from npm at the version package.json pins.
RUN npm install -g --no-fund --no-audit pnpm@10.34.8
WORKDIR /app
COPY --from=manifests /src ./
# Dev dependencies included (NODE_ENV is set only afterwards): TypeScript compiles the packages.
RUN pnpm install --frozen-lockfile
COPY . .
# Again, offline and quick: links the workspace's bins (the CLI) now that their files exist.
# Then the build (host dist/ directories are not copied: .dockerignore).
RUN pnpm install --frozen-lockfile --offline && pnpm store prune && pnpm -s build
ENV NODE_ENV=production \
    AUDITFLOW_SPOOL_DIR=/var/lib/auditflow/spool
# Spool (events not yet acknowledged by Kafka) and generated secrets live in volumes that
# inherit this ownership on first use; the services never run as root.
RUN mkdir -p /var/lib/auditflow/spool /etc/auditflow/secrets \
 && chown -R node:node /var/lib/auditflow /etc/auditflow

COPY --chmod=755 <<'SH' /usr/local/bin/auditflow-service
#!/bin/sh
# auditflow-service <name> [args]: runs one Auditflow service in the foreground (exec, so the
# service itself receives SIGTERM and drains, flushes and commits before exiting).
set -e
cd /app
case "${1:-}" in
  gateway)   entry=producers/gateway/dist/main.js ;;
  sanitizer) entry=processors/sanitizer/dist/main.js ;;
  enricher)  entry=processors/enricher/dist/main.js ;;
  fused)     entry=processors/fused/dist/main.js ;;
  indexer)   entry=consumers/indexer/dist/main.js ;;
  archiver)  entry=consumers/archiver/dist/main.js ;;
  streamer)  entry=consumers/streamer/dist/main.js ;;
  query-api) entry=consumers/query-api/dist/main.js ;;
  demo)      entry=infra/cli/dist/demo-main.js ;;
  cli)       entry=infra/cli/dist/main.js ;;
  "")        echo "usage: auditflow-service gateway|sanitizer|enricher|fused|indexer|archiver|streamer|query-api|demo|cli [args]" >&2; exit 2 ;;
  *)         exec "$@" ;;
esac
shift
exec node "$entry" "$@"
SH

USER node
ENTRYPOINT ["auditflow-service"]
CMD []

# The query API's image: the same, plus Debian's chromium (and fonts for the text and charts),
# which prints PDF evidence reports (AUDITFLOW_CHROMIUM; puppeteer-core downloads no browser).
# The other services do not carry a browser.
FROM service AS query-api
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
ENV AUDITFLOW_CHROMIUM=/usr/bin/chromium
USER node

# The default target (`docker build .`): every other service.
FROM service
