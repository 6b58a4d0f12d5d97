-- One-time codes for any channel and purpose: the email-only table is renamed, its rows kept.
ALTER TABLE "email_challenges" RENAME TO "otp_challenges";
ALTER TABLE "otp_challenges" RENAME CONSTRAINT "email_challenges_pkey" TO "otp_challenges_pkey";
ALTER TABLE "otp_challenges" RENAME COLUMN "email_canonical" TO "recipient";
ALTER TABLE "otp_challenges" ADD COLUMN "channel" TEXT NOT NULL DEFAULT 'email';
ALTER INDEX "email_challenges_idempotency_key_key" RENAME TO "otp_challenges_idempotency_key_key";
ALTER INDEX "email_challenges_journey_id_idx" RENAME TO "otp_challenges_journey_id_idx";
ALTER INDEX "email_challenges_email_canonical_created_at_idx" RENAME TO "otp_challenges_recipient_created_at_idx";

-- Messages remember the locale they were rendered in.
ALTER TABLE "outbound_messages" ADD COLUMN "locale" TEXT NOT NULL DEFAULT 'en';
