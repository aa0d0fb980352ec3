-- Cash deposited or withdrawn, and fresh starts (reset), of each portfolio: written by the batch
-- statement with the cash and positions they change; reconciliation folds them with the trades.

-- CreateEnum
CREATE TYPE "PortfolioEventKind" AS ENUM ('CASH', 'RESET');

-- CreateTable
CREATE TABLE "portfolio_events" (
    "id" BIGSERIAL NOT NULL,
    "portfolio_id" INTEGER NOT NULL,
    "kind" "PortfolioEventKind" NOT NULL,
    "amount" DECIMAL(24,4) NOT NULL,
    "reason" VARCHAR(200),
    "after_trade_id" BIGINT NOT NULL,
    "key_id" INTEGER,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "portfolio_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "portfolio_events_portfolio_id_id_idx" ON "portfolio_events"("portfolio_id", "id");

-- AddForeignKey
ALTER TABLE "portfolio_events" ADD CONSTRAINT "portfolio_events_portfolio_id_fkey" FOREIGN KEY ("portfolio_id") REFERENCES "portfolios"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
