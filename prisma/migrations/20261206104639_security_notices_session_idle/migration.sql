-- AlterTable
ALTER TABLE "outbound_messages" ADD COLUMN     "claimed_at" TIMESTAMPTZ(3),
ADD COLUMN     "delivered_by" TEXT NOT NULL DEFAULT 'journey';

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "outbound_messages_delivered_by_status_idx" ON "outbound_messages"("delivered_by", "status");
