# Portal help bot: production image.
#   docker build -t portal-help-bot .
#   docker run --env-file .env -p 3978:3978 portal-help-bot
# See docs/deploy.md. CI cannot run Docker, so scripts/docker-smoke.sh (npm run smoke:build) executes this
# file's own FROM/WORKDIR/COPY/ENV/RUN/HEALTHCHECK/CMD lines in a clean folder and starts the result
# against real Redis. Keep to one instruction per line and the instruction forms that script understands.

# ---- build: all dependencies, compile TypeScript to dist/, then drop the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The full install runs botbuilder-dialogs' postinstall (npx rimraf, a dev dependency); `npm ci --omit=dev`
# alone would fail there, so production modules come from pruning this tree after the build instead.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/
COPY bot bot/
COPY dialogs dialogs/
COPY knowledge knowledge/
COPY services services/
COPY web web/
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code + production node_modules, read-only for the non-root user ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
ENV PORT=3978
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules/
COPY --from=build /app/dist dist/
USER node
EXPOSE 3978
# /healthz is 200 while Redis answers a PING within 1 s, else 503 (see docs/deploy.md); node, since slim has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/healthz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) finishes turns in flight, stops the mail worker and closes Redis; exit 0.
CMD ["node", "dist/bot/index.js"]
