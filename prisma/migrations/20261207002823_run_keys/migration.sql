-- CreateTable
CREATE TABLE "run_keys" (
    "run_id" TEXT NOT NULL,
    "sealed_key" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_keys_pkey" PRIMARY KEY ("run_id")
);
