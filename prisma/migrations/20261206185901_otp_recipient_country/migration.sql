-- AlterTable
ALTER TABLE "otp_challenges" ADD COLUMN     "recipient_country" TEXT;
