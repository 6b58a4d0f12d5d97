-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "client_id" TEXT,
ADD COLUMN     "device" TEXT;

-- CreateTable
CREATE TABLE "apps" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "secret_rotated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attributes" TEXT[],
    "purposes" TEXT[],
    "data_limit_bytes" INTEGER NOT NULL DEFAULT 16384,
    "profiling" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "apps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attribute_definitions" (
    "name" TEXT NOT NULL,
    "schema" JSONB NOT NULL,
    "owner_app" TEXT,
    "sensitivity" TEXT NOT NULL DEFAULT 'normal',
    "readers" TEXT[],
    "writers" TEXT[],
    "grants_access" BOOLEAN NOT NULL DEFAULT false,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attribute_definitions_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "profile_values" (
    "user_id" TEXT NOT NULL,
    "attribute" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "verified_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_values_pkey" PRIMARY KEY ("user_id","attribute")
);

-- CreateTable
CREATE TABLE "app_data" (
    "user_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_data_pkey" PRIMARY KEY ("user_id","app_id")
);

-- CreateTable
CREATE TABLE "profile_changes" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "actor_id" TEXT,
    "attributes" TEXT[],
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app_sign_ins" (
    "user_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "sign_ins" INTEGER NOT NULL DEFAULT 0,
    "last_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "app_sign_ins_pkey" PRIMARY KEY ("user_id","app_id")
);

-- CreateTable
CREATE TABLE "profiling_skips" (
    "user_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "attribute" TEXT NOT NULL,
    "skipped_at" TIMESTAMPTZ(3) NOT NULL,
    "session_id" TEXT NOT NULL,

    CONSTRAINT "profiling_skips_pkey" PRIMARY KEY ("user_id","app_id","attribute")
);

-- CreateTable
CREATE TABLE "profiling_questions" (
    "journey_id" TEXT NOT NULL,
    "attribute" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "asked_at" TIMESTAMPTZ(3) NOT NULL,
    "outcome" TEXT,
    "answered_at" TIMESTAMPTZ(3),

    CONSTRAINT "profiling_questions_pkey" PRIMARY KEY ("journey_id","attribute")
);

-- CreateIndex
CREATE INDEX "profile_changes_user_id_at_idx" ON "profile_changes"("user_id", "at");

-- CreateIndex
CREATE INDEX "profiling_questions_app_id_asked_at_idx" ON "profiling_questions"("app_id", "asked_at");

-- CreateIndex
CREATE INDEX "profiling_questions_asked_at_idx" ON "profiling_questions"("asked_at");

-- AddForeignKey
ALTER TABLE "profile_values" ADD CONSTRAINT "profile_values_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_data" ADD CONSTRAINT "app_data_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app_sign_ins" ADD CONSTRAINT "app_sign_ins_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "profiling_skips" ADD CONSTRAINT "profiling_skips_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
