# syntax=docker/dockerfile:1
# The fogline gateway (fogline-gateway), as an image. Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t fogline-gateway .
# Three stages: the build (every dependency, TypeScript), the production dependencies of this
# package alone, and the runtime (no compiler, no dev dependencies, a non-root user).

FROM node:20.20-bookworm-slim AS build
WORKDIR /src
# The lockfile and every workspace's manifest first: the install layer is reused until they change.
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY shared/package.json shared/
COPY edge/package.json edge/
COPY cloud/package.json cloud/
COPY devices-sim/package.json devices-sim/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund
COPY shared/ shared/
COPY edge/ edge/
COPY cloud/ cloud/
COPY devices-sim/ devices-sim/
RUN npx turbo run build --filter=@fogline/edge

FROM node:20.20-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY edge/package.json edge/
COPY cloud/package.json cloud/
COPY devices-sim/package.json devices-sim/
COPY test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund --workspace=@fogline/shared --workspace=@fogline/edge --include-workspace-root=false

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /src/package.json ./
COPY --from=build /src/shared/package.json shared/
COPY --from=build /src/shared/dist shared/dist
COPY --from=build /src/edge/package.json /src/edge/gateway.example.yaml edge/
COPY --from=build /src/edge/dist edge/dist
# The data folder belongs to the image's own user (uid 1000, from the node image): nothing runs as root.
RUN mkdir -p /var/lib/fogline && chown node:node /var/lib/fogline
USER node
# The ingest log, outbox and credentials: mount a volume here (dataDir in the config).
VOLUME ["/var/lib/fogline"]
# MQTT for devices; the ops port (/metrics, /healthz: set ops.host 0.0.0.0 in the config to scrape it).
EXPOSE 1883 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:9464/healthz\").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "edge/dist/cli.js"]
CMD ["start", "--config", "/etc/fogline/gateway.yaml"]
