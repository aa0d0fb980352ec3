-- AlterTable
ALTER TABLE "instruments" ADD COLUMN     "session" VARCHAR(16) NOT NULL DEFAULT '24/7';
