-- DropIndex
DROP INDEX "consent_records_user_id_purpose_idx";

-- AlterTable
ALTER TABLE "consent_records" ADD COLUMN     "apps" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "attributes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "channel" TEXT,
ADD COLUMN     "expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "method" TEXT NOT NULL DEFAULT 'journey',
ADD COLUMN     "policy" TEXT,
ADD COLUMN     "policy_hash" TEXT,
ADD COLUMN     "policy_locale" TEXT,
ADD COLUMN     "purpose_name" TEXT,
ADD COLUMN     "step" TEXT;

-- AlterTable
ALTER TABLE "purposes" ADD COLUMN     "policy" TEXT NOT NULL DEFAULT 'privacy',
ADD COLUMN     "required" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "validity_days" INTEGER;

-- CreateTable
CREATE TABLE "consent_withholdings" (
    "app_id" TEXT NOT NULL,
    "attribute" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "consent_withholdings_pkey" PRIMARY KEY ("app_id","attribute","day")
);

-- CreateIndex
CREATE INDEX "consent_records_user_id_purpose_at_idx" ON "consent_records"("user_id", "purpose", "at");

-- A consent record is never changed: a later decision is a new record (ISO/IEC TS 27560).
CREATE FUNCTION consent_records_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'consent_records is append-only: record a new decision instead';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
  FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();
