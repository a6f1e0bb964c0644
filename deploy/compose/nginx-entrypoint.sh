#!/bin/sh
# Runs deploy/nginx.conf inside the compose `nginx` service: the file's marked upstream lines
# (upstream-servers:begin/end) name loopback ports for one host; here they become the compose
# services app-1..app-3 on port 5000. Logs go to the container's stdout and stderr.
set -eu
prefix=/tmp/collabcanvas-nginx
mkdir -p "$prefix/logs" "$prefix/tmp"
ln -sf /dev/stdout "$prefix/logs/access.log"
ln -sf /dev/stderr "$prefix/logs/error.log"
awk -v servers="${UPSTREAM_SERVERS:-app-1:5000 app-2:5000 app-3:5000}" '
  /upstream-servers:begin/ {
    print
    n = split(servers, list, " ")
    for (i = 1; i <= n; i++) print "    server " list[i] " max_fails=1 fail_timeout=5s;"
    skip = 1
    next
  }
  /upstream-servers:end/ { skip = 0 }
  !skip
' "${NGINX_CONF:-/etc/collabcanvas/nginx.conf}" > "$prefix/nginx.conf"
exec nginx -p "$prefix" -c "$prefix/nginx.conf" -g 'daemon off;' "$@"
