# Junction's server and worker image (the same image; the command picks the role).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# At most two glibc malloc arenas: the worker's many threads (the Temporal core's, Node's) would otherwise each
# grow an arena of their own and keep the freed memory resident (docs/operating.md, "Worker memory").
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/junction.js"]
CMD ["server"]
