# syntax=docker/dockerfile:1
# The fogline cloud (fogline-cloud), as an image. Build from the repository root:
#   docker build -f deploy/docker/cloud.Dockerfile -t fogline-cloud .
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
RUN npx turbo run build --filter=@fogline/cloud

FROM node:20.20-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY edge/package.json edge/
COPY cloud/package.json cloud/
COPY devices-sim/package.json devices-sim/
COPY test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund --workspace=@fogline/shared --workspace=@fogline/cloud --include-workspace-root=false

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /src/package.json ./
COPY --from=build /src/shared/package.json shared/
COPY --from=build /src/shared/dist shared/dist
COPY --from=build /src/cloud/package.json /src/cloud/cloud.example.yaml cloud/
COPY --from=build /src/cloud/dist cloud/dist
COPY --from=build /src/cloud/dashboard/public cloud/dashboard/public
# The data folder belongs to the image's own user (uid 1000, from the node image): nothing runs as root.
RUN mkdir -p /var/lib/fogline && chown node:node /var/lib/fogline
USER node
# The level store, when store.kind is level (dataDir in the config); a cluster keeps its data in PostgreSQL.
VOLUME ["/var/lib/fogline"]
# The API and dashboard; the embedded broker for gateways (broker.mode embedded).
EXPOSE 8080 1884
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:8080/healthz\").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "cloud/dist/cli.js"]
CMD ["start", "--config", "/etc/fogline/cloud.yaml"]
