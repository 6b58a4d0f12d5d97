-- CreateTable
CREATE TABLE "subscriptions" (
    "id" TEXT NOT NULL,
    "list" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "policy_version" TEXT NOT NULL,
    "confirmed_at" TIMESTAMPTZ(3) NOT NULL,
    "journey_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_list_address_key" ON "subscriptions"("list", "address");
