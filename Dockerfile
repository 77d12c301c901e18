# The ledger service. Runs against an external Postgres (DATABASE_URL) and, optionally, KurrentDB.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY app/setup ./app/setup
RUN npm ci --omit=optional && npm cache clean --force
COPY . .
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "app/cli.ts", "start"]
