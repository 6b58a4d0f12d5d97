-- CreateIndex
CREATE INDEX "journey_events_journey_type_at_idx" ON "journey_events"("journey", "type", "at");
