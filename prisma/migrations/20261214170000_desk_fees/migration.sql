-- AlterTable
ALTER TABLE "portfolios" ADD COLUMN     "fees_paid" DECIMAL(28,4) NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "trades" ADD COLUMN     "buy_fee" DECIMAL(28,4) NOT NULL DEFAULT 0,
ADD COLUMN     "sell_fee" DECIMAL(28,4) NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "desk_fees" (
    "desk_id" INTEGER NOT NULL,
    "per_share" DECIMAL(18,4) NOT NULL,
    "bps" DECIMAL(12,4) NOT NULL,
    "min_per_order" DECIMAL(18,4) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "desk_fees_pkey" PRIMARY KEY ("desk_id")
);

-- AddForeignKey
ALTER TABLE "desk_fees" ADD CONSTRAINT "desk_fees_desk_id_fkey" FOREIGN KEY ("desk_id") REFERENCES "desks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
