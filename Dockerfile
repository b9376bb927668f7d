# syntax=docker/dockerfile:1.7
# One image for every Node service of Auditflow. Services run from their TypeScript sources
# through tsx (the same way `pnpm auditflow up` runs them), so there is no build step to drift
# from the tested code. The first argument picks the service:
#   docker run auditflow gateway | sanitizer | enricher | indexer | archiver | streamer |
#              query-api | demo | cli <auditflow arguments...>
# Anything else is executed as given.

# Only the manifests, so the dependency layer below is rebuilt when they change, not on every
# source edit.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name pnpm-lock.yaml ! -name pnpm-workspace.yaml -delete \
 && find . -depth -type d -empty -delete

FROM node:24-bookworm-slim
# Corepack cannot verify pnpm's signature offline in some build environments, so pnpm comes
# from npm at the version package.json pins.
RUN npm install -g --no-fund --no-audit pnpm@10.34.8
WORKDIR /app
COPY --from=manifests /src ./
# Dev dependencies included (NODE_ENV is set only afterwards): tsx runs the services.
RUN pnpm install --frozen-lockfile
COPY . .
# Again, offline and quick: links the workspace's bins (the CLI) now that their files exist.
RUN pnpm install --frozen-lockfile --offline && pnpm store prune
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
  gateway)   entry=producers/gateway/src/main.ts ;;
  sanitizer) entry=processors/sanitizer/src/main.ts ;;
  enricher)  entry=processors/enricher/src/main.ts ;;
  indexer)   entry=consumers/indexer/src/main.ts ;;
  archiver)  entry=consumers/archiver/src/main.ts ;;
  streamer)  entry=consumers/streamer/src/main.ts ;;
  query-api) entry=consumers/query-api/src/main.ts ;;
  demo)      entry=infra/cli/src/demo-main.ts ;;
  cli)       entry=infra/cli/src/main.ts ;;
  "")        echo "usage: auditflow-service gateway|sanitizer|enricher|indexer|archiver|streamer|query-api|demo|cli [args]" >&2; exit 2 ;;
  *)         exec "$@" ;;
esac
shift
exec node --import tsx "$entry" "$@"
SH

USER node
ENTRYPOINT ["auditflow-service"]
CMD []
