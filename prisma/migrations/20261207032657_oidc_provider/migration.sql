-- AlterTable
ALTER TABLE "apps" ADD COLUMN     "backchannel_logout_uri" TEXT,
ADD COLUMN     "client_type" TEXT NOT NULL DEFAULT 'confidential',
ADD COLUMN     "grant_types" TEXT[] DEFAULT ARRAY['authorization_code']::TEXT[],
ADD COLUMN     "post_logout_redirect_uris" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "redirect_uris" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "scopes" TEXT[] DEFAULT ARRAY['openid']::TEXT[];

-- CreateTable
CREATE TABLE "oidc_models" (
    "kind" TEXT NOT NULL,
    "id_hash" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "grant_id" TEXT,
    "uid_hash" TEXT,
    "account_id" TEXT,
    "client_id" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "consumed_at" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_models_pkey" PRIMARY KEY ("kind","id_hash")
);

-- CreateTable
CREATE TABLE "oidc_signing_keys" (
    "kid" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "sealed_jwk" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "signs_from" TIMESTAMPTZ(3) NOT NULL,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "oidc_signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateIndex
CREATE INDEX "oidc_models_grant_id_idx" ON "oidc_models"("grant_id");

-- CreateIndex
CREATE INDEX "oidc_models_uid_hash_idx" ON "oidc_models"("uid_hash");

-- CreateIndex
CREATE INDEX "oidc_models_account_id_client_id_idx" ON "oidc_models"("account_id", "client_id");

-- CreateIndex
CREATE INDEX "oidc_models_expires_at_idx" ON "oidc_models"("expires_at");
