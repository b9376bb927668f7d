#!/bin/sh
# Imports Auditflow's Kibana saved objects (data view, saved searches, dashboard) once Kibana
# answers. Run by the kibana-init service of docker-compose.yml; idempotent (overwrite=true).
set -eu
KIBANA_URL=${KIBANA_URL:-http://kibana:5601}
until curl -fs "$KIBANA_URL/api/status" >/dev/null; do sleep 5; done
curl -fsS -X POST "$KIBANA_URL/api/saved_objects/_import?overwrite=true" \
  -H 'kbn-xsrf: auditflow' -F file=@/saved-objects.ndjson
echo
