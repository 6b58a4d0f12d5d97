-- AlterTable
ALTER TABLE "email_challenges" ADD COLUMN     "consumed_by" TEXT;
