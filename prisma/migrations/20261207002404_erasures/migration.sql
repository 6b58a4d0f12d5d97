-- AlterTable
ALTER TABLE "users" ADD COLUMN     "legal_hold_at" TIMESTAMPTZ(3),
ADD COLUMN     "legal_hold_reason" TEXT;

-- CreateTable
CREATE TABLE "erasures" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "journey_id" TEXT NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "erasures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "erasures_journey_id_key" ON "erasures"("journey_id");

-- CreateIndex
CREATE INDEX "erasures_user_id_idx" ON "erasures"("user_id");
