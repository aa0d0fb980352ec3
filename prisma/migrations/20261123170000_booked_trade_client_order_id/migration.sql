-- AlterTable
ALTER TABLE "trades" ADD COLUMN     "client_order_id" VARCHAR(64);

-- CreateIndex
CREATE UNIQUE INDEX "trades_client_order_id_buy_portfolio_id_sell_portfolio_id_key" ON "trades"("client_order_id", "buy_portfolio_id", "sell_portfolio_id");
