-- CreateTable
CREATE TABLE "run_subjects" (
    "subject" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_subjects_pkey" PRIMARY KEY ("subject","run_id")
);
