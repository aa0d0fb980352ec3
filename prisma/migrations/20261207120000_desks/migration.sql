-- Desks: a deployment hosts many teams. Everything that exists before this migration becomes the
-- desk `main` (id 1), so an upgrade changes nothing a client sees.

-- CreateTable
CREATE TABLE "desks" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "desks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "desks_name_key" ON "desks"("name");

INSERT INTO "desks" ("id", "name") VALUES (1, 'main');
SELECT setval(pg_get_serial_sequence('desks', 'id'), 1);

-- AlterTable: existing rows join desk main; new rows must name their desk.
ALTER TABLE "portfolios" ADD COLUMN     "desk_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "portfolios" ALTER COLUMN "desk_id" DROP DEFAULT;
ALTER TABLE "api_keys" ADD COLUMN     "desk_id" INTEGER NOT NULL DEFAULT 1;
ALTER TABLE "api_keys" ALTER COLUMN "desk_id" DROP DEFAULT;
ALTER TABLE "audit_events" ADD COLUMN     "desk_id" INTEGER;
UPDATE "audit_events" SET "desk_id" = 1 WHERE "key_id" IS NOT NULL;

-- Portfolio names are unique per desk.
DROP INDEX "portfolios_name_key";
CREATE UNIQUE INDEX "portfolios_desk_id_name_key" ON "portfolios"("desk_id", "name");

-- CreateIndex
CREATE INDEX "api_keys_desk_id_idx" ON "api_keys"("desk_id");

-- CreateIndex
CREATE INDEX "audit_events_desk_id_at_idx" ON "audit_events"("desk_id", "at");

-- AddForeignKey
ALTER TABLE "portfolios" ADD CONSTRAINT "portfolios_desk_id_fkey" FOREIGN KEY ("desk_id") REFERENCES "desks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_desk_id_fkey" FOREIGN KEY ("desk_id") REFERENCES "desks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
