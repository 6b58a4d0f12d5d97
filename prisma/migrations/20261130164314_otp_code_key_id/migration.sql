-- AlterTable
ALTER TABLE "otp_challenges" ADD COLUMN     "code_key_id" TEXT;
