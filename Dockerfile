# syntax=docker/dockerfile:1
# CollabCanvas image: build with the dev dependencies, run with the production ones only.
#   docker build -t collabcanvas .
#   docker run -p 5000:5000 -v collabcanvas-data:/app/data collabcanvas
# Not built on the development machines (no Docker engine there): test/deploy/ lints this file
# and runs deploy/docker-entrypoint.sh's commands on the host as the image runs them.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles its SQLite from source when no prebuilt binary can be fetched.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Install scripts off, then the one approved native package built explicitly [C3].
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json tsconfig.web.json vite.config.ts ./
COPY src ./src
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  DATA_DIR=/app/data \
  PORT=5000 \
  HOST=0.0.0.0
WORKDIR /app
# Production node_modules with better-sqlite3 as built above: no compiler in this stage.
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node deploy/docker-entrypoint.sh ./deploy/docker-entrypoint.sh
RUN mkdir -p /app/data && chown node:node /app/data
# The official image's unprivileged user (uid 1000).
USER node
VOLUME ["/app/data"]
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["start"]
