# syntax=docker/dockerfile:1
# One recipe for every service's image:
#   docker build --build-arg SERVICE=users -t meshmart/users .
# skaffold.yaml builds each service with it. cdk8s/test/docker-steps.test.ts replays these
# steps without Docker, so keep every path relative to WORKDIR.

ARG NODE_IMAGE=node:24.22.3-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# Bundling happens on the build machine's own architecture: the output is plain JavaScript.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS bundle
ARG SERVICE
WORKDIR /repo
COPY package.json package-lock.json ./
COPY services services
COPY proto proto
COPY cdk8s/package.json cdk8s/package.json
COPY tools/stack/package.json tools/stack/package.json
# The bundler the local stack uses too; the rest of the stack runner stays out. The cdk8s
# workspace is not installed: its CLI (for `cdk8s import`) and generators are not needed here.
COPY tools/stack/src/build/bundle.ts tools/stack/src/build/bundle-service.ts tools/stack/src/build/
RUN --mount=type=cache,target=/root/.npm npm ci --prefer-offline --no-audit --no-fund --include-workspace-root --workspace services/${SERVICE} --workspace proto --workspace tools/stack
RUN npm run gen --workspace proto
RUN node --import tsx tools/stack/src/build/bundle-service.ts ${SERVICE} out/dist
# A service with a browser app (web) ships its static build too; others ship an empty folder.
RUN mkdir -p out/public && if [ -f services/${SERVICE}/ui/vite.config.ts ]; then npm run build --workspace services/${SERVICE} && cp -R services/${SERVICE}/dist/. out/public/; fi

# Production dependencies for the target architecture: argon2 and friends ship native
# binaries per platform, so this stage runs under the target platform (emulated if needed).
FROM ${NODE_IMAGE} AS prod-deps
ARG SERVICE
WORKDIR /repo
COPY package.json package-lock.json ./
COPY services services
COPY proto/package.json proto/package.json
COPY cdk8s/package.json cdk8s/package.json
COPY tools/stack/package.json tools/stack/package.json
RUN --mount=type=cache,target=/root/.npm npm ci --prefer-offline --no-audit --no-fund --omit=dev --workspace services/${SERVICE} && rm -rf node_modules/@meshmart

# Distroless: no shell, no package manager, runs as uid 65532 (the pod spec asks for the same).
FROM ${RUNTIME_IMAGE} AS runtime
ARG SERVICE
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /repo/node_modules node_modules
COPY --from=bundle /repo/out/dist dist
COPY --from=bundle /repo/out/public public
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps"]
CMD ["dist/main.mjs"]
