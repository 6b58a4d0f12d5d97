-- AlterTable
ALTER TABLE "credentials" ADD COLUMN     "confirmed_at" TIMESTAMPTZ(3),
ADD COLUMN     "last_used_step" BIGINT,
ADD COLUMN     "sealed_secret" BYTEA;

-- CreateTable
CREATE TABLE "auth_throttles" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "window_start" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_failure_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_throttles_pkey" PRIMARY KEY ("key")
);
