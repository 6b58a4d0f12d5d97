-- AlterTable
ALTER TABLE "outbound_messages" ADD COLUMN     "provider_error" TEXT,
ADD COLUMN     "provider_status" TEXT;
