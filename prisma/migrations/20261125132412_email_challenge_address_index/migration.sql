-- CreateIndex
CREATE INDEX "email_challenges_email_canonical_created_at_idx" ON "email_challenges"("email_canonical", "created_at");
