-- CreateTable
CREATE TABLE "early_provider_reports" (
    "provider_message_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "error" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "early_provider_reports_pkey" PRIMARY KEY ("provider_message_id")
);

-- CreateIndex
CREATE INDEX "early_provider_reports_received_at_idx" ON "early_provider_reports"("received_at");
