-- AlterTable
ALTER TABLE "otp_challenges" ADD COLUMN     "requester" TEXT;
