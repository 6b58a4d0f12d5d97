-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "factor_auth_times" JSONB NOT NULL DEFAULT '{}';
