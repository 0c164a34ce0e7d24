# syntax=docker/dockerfile:1
# The fleet simulator (fogline-sim), as an image. Build from the repository root:
#   docker build -f deploy/docker/simulator.Dockerfile -t fogline-simulator .
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
RUN npx turbo run build --filter=@fogline/devices-sim

FROM node:20.20-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY edge/package.json edge/
COPY cloud/package.json cloud/
COPY devices-sim/package.json devices-sim/
COPY test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund --workspace=@fogline/shared --workspace=@fogline/edge --workspace=@fogline/cloud --workspace=@fogline/devices-sim --include-workspace-root=false

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /src/package.json ./
COPY --from=build /src/shared/package.json shared/
COPY --from=build /src/shared/dist shared/dist
COPY --from=build /src/edge/package.json edge/
COPY --from=build /src/edge/dist edge/dist
COPY --from=build /src/cloud/package.json cloud/
COPY --from=build /src/cloud/dist cloud/dist
COPY --from=build /src/devices-sim/package.json devices-sim/
COPY --from=build /src/devices-sim/dist devices-sim/dist
# The data folder belongs to the image's own user (uid 1000, from the node image): nothing runs as root.
RUN mkdir -p /var/lib/fogline && chown node:node /var/lib/fogline
USER node
# Ground truth and summaries, when asked for (--truth /var/lib/fogline/truth.jsonl).
VOLUME ["/var/lib/fogline"]
ENTRYPOINT ["node", "devices-sim/dist/cli.js"]
CMD ["run", "--help"]
