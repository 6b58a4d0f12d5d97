-- AlterTable
ALTER TABLE "credentials" ADD COLUMN     "external_id" TEXT;

-- CreateTable
CREATE TABLE "webauthn_challenges" (
    "id" TEXT NOT NULL,
    "journey_id" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "challenge" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webauthn_challenges_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webauthn_challenges_journey_id_purpose_idx" ON "webauthn_challenges"("journey_id", "purpose");

-- CreateIndex
CREATE UNIQUE INDEX "credentials_external_id_key" ON "credentials"("external_id");
