# syntax=docker/dockerfile:1
#
# Pandu in a container: Node 20 on Debian 12 (bookworm), Debian's Chromium for WhatsApp Web, run
# as the unprivileged `node` user. See docs/operations.md.
#
#   docker build -t pandu .
#   docker run --env-file .env -p 8080:8080 -v pandu-whatsapp:/data/whatsapp --hostname pandu pandu
#
# --hostname: keep it the same for every container on that volume (see docker-compose.yml): Chromium
# refuses a WhatsApp profile whose leftover lock names another host.
#
# Stages:
#   deps     every dependency (npm ci, dev included), for the type check
#   check    `tsc -p .` and the flow check (`npm run check`): a broken flow fails the build
#   prod     production dependencies only (tsx among them: Pandu runs its TypeScript through it)
#   runtime  the image: Chromium, tini, the app, non-root

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- deps: the full tree, as CI installs it -------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# .puppeteerrc.cjs (skipDownload) must be there before `npm ci`: puppeteer's postinstall would
# otherwise try to download Chrome (we use Debian's chromium instead).
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# ---- check: the build fails on a type error or a broken flow ---------------------------------------
FROM deps AS check
COPY tsconfig.json vitest.config.ts ./
COPY src ./src
COPY flows ./flows
COPY locales ./locales
COPY policy ./policy
COPY data ./data
COPY test ./test
COPY bench ./bench
RUN npm run check && touch /app/.checked

# ---- prod: production dependencies (tsx is one) -------------------------------------------------
FROM ${NODE_IMAGE} AS prod
WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && node --import tsx -e "process.exit(0)"

# ---- runtime ------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# chromium: WhatsApp Web runs in it (whatsapp-web.js drives it through puppeteer).
# fonts: so WhatsApp Web renders; tini: PID 1 that forwards SIGTERM and reaps Chromium's children.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      chromium fonts-liberation fonts-noto-color-emoji ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

# NODE_OPTIONS: a larger young generation. Under load Pandu keeps many short-lived objects alive
# across a Redis round trip; 64 MB semi-spaces cut GC time (docs/performance.md).
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    WHATSAPP_CHROMIUM_PATH=/usr/bin/chromium \
    WHATSAPP_DATA_DIR=/data/whatsapp \
    NODE_OPTIONS=--max-semi-space-size=64

WORKDIR /app
COPY --from=prod --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json .puppeteerrc.cjs tsconfig.json ./
COPY --chown=root:root src ./src
COPY --chown=root:root flows ./flows
COPY --chown=root:root locales ./locales
COPY --chown=root:root policy ./policy
COPY --chown=root:root data ./data
# The image is only built when the checks passed.
COPY --from=check /app/.checked /app/.checked

# The WhatsApp login (a Chromium profile) must survive restarts: keep it on a volume. The app files
# stay owned by root, so the running process cannot change its own code.
RUN mkdir -p /data/whatsapp && chown -R node:node /data
VOLUME ["/data/whatsapp"]

USER node
EXPOSE 8080

# 200 when Redis answers and every channel is up; 503 (with what is down) otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
# Same as `npm start`, without npm in between (npm adds a process and a signal hop).
CMD ["node", "--import", "tsx", "src/main.ts"]
