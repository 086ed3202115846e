# hookstream's production image: `docker build -t hookstream .`, then
#   docker run --rm -e KAFKA_BROKERS=kafka:9092 -v "$PWD/streams:/app/streams:ro" hookstream            (the processor)
#   docker run --rm -e KAFKA_BROKERS=kafka:9092 -p 8080:8080 hookstream ingress                          (the HTTP ingress)
# No Docker engine runs where hookstream is developed and tested, so CI does not build this image.
# test/integration/deploy.test.ts checks what it can: this command is the production command of
# the README and exits 0 on SIGTERM, and the Node version is the one package.json pins.

# the Node of package.json's devDependency "node" (bin/hookstream.js needs 22.19 or newer)
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# exactly the locked runtime dependencies: no dev tools, no install scripts
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
# the example streams; mount your own over /app/streams (or set HOOKSTREAM_STREAMS)
COPY streams ./streams
# the image's unprivileged user (uid 1000); the files above stay root's, read-only to it
USER node
EXPOSE 8080 9464
# liveness of the ops server (`run`, `ingress`); readiness is /readyz, for orchestrators that route
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HOOKSTREAM_OPS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# exec form: node is PID 1 and gets SIGTERM itself (no shell, no npx in between); hookstream
# handles it (drain, commit, exit 0) and starts no child processes to reap
ENTRYPOINT ["node", "bin/hookstream.js"]
CMD ["run"]
