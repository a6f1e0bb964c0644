#!/bin/sh
# The CollabCanvas image's entry point: `docker run collabcanvas <command> [args]`.
#   start (default)  serve the API, WebSocket and web app (migrates first)
#   migrate          bring the database to the latest schema, then exit (idempotent)
#   console          a Node REPL with the app's services loaded (store, accounts, opLog, triggers)
#   test             the installed build's self-test on a throwaway database
#   shell            a shell in the container
#   backup|restore|keys|users|stats …   the operator CLI (docs/operations.md)
# Anything else runs as a command. Each command replaces this shell (exec), so SIGTERM from
# `docker stop` or Kubernetes reaches Node, which drains and exits within the stop timeout.
# The test suite runs this script on the host exactly so (test/deploy/entrypoint.test.ts).
set -eu

APP_DIR="${APP_DIR:-$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)}"
CLI="$APP_DIR/dist/server/main.js"

command="${1:-start}"
if [ "$#" -gt 0 ]; then shift; fi

case "$command" in
  start | serve) exec node "$CLI" serve "$@" ;;
  migrate) exec node "$CLI" migrate "$@" ;;
  console) exec node "$CLI" console "$@" ;;
  test) exec node "$CLI" selftest "$@" ;;
  shell) exec /bin/sh "$@" ;;
  backup | restore | keys | users | stats) exec node "$CLI" "$command" "$@" ;;
  *) exec "$command" "$@" ;;
esac
