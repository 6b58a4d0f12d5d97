-- CreateTable
CREATE TABLE "pending_runs" (
    "id" TEXT NOT NULL,
    "args" BYTEA NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL,
    "sweep_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pending_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pending_runs_sweep_at_idx" ON "pending_runs"("sweep_at");
