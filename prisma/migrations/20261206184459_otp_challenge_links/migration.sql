-- AlterTable
ALTER TABLE "otp_challenges" ADD COLUMN     "link_hash" TEXT;
