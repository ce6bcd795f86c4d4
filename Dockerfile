# syntax=docker/dockerfile:1
# The Silvana coordinator image. Multi-stage: compile TypeScript with the dev toolchain, then ship
# dist/ and the production dependencies only, run as the unprivileged `node` user.
#
# The coordinator starts agent containers on the host's Docker engine, so the operator mounts the
# Docker socket and adds the socket's group (see docker-compose.yml and docs/operations.md).
# Agents reach the coordinator's gRPC socket through a host directory mounted at the same path in
# both (GRPC_SOCKET_PATH under /run/silvana), and its TCP listener as host.docker.internal.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are skipped: the `node` devDependency would download a second Node (the image
# has one) and nothing else we ship needs a native build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
COPY scripts/build-web.ts scripts/build-cli.ts scripts/build-bundle.ts ./scripts/
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_NO_WARNINGS=1 \
    STATE_DIR=/var/lib/silvana \
    GRPC_SOCKET_PATH=/run/silvana/coordinator.sock \
    HTTP_ADDRESS=0.0.0.0:8080 \
    ALLOW_PUBLIC_LISTEN=true
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
RUN mkdir -p /var/lib/silvana /run/silvana && chown node:node /var/lib/silvana /run/silvana
USER node
VOLUME ["/var/lib/silvana"]
EXPOSE 8080 50051
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_ADDRESS||'').split(':').pop()+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/silvana.mjs"]
CMD ["start"]
