# Image for both stateless Parcours processes: `npm run api` (default) and `npm run worker`.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first so source edits reuse this layer.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npx --no-install patch-package --error-on-fail

COPY . .
# prisma generate into src/generated (not in git), the same script `npm run setup` runs;
# tsx runs the TypeScript as is, so there is no build step.
RUN bash scripts/db-generate.sh

USER node
EXPOSE 3000
CMD ["npm", "run", "api"]
