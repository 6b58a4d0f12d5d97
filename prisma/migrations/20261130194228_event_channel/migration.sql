-- AlterTable
ALTER TABLE "journey_events" ADD COLUMN     "channel" TEXT NOT NULL DEFAULT 'default';
