-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Side" AS ENUM ('BUY', 'SELL');

-- CreateEnum
CREATE TYPE "OrderType" AS ENUM ('MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT');

-- CreateEnum
CREATE TYPE "TimeInForce" AS ENUM ('DAY', 'GTC', 'IOC', 'FOK');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED');

-- CreateTable
CREATE TABLE "instruments" (
    "symbol" VARCHAR(16) NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "tick_size" DECIMAL(18,4) NOT NULL,
    "lot_size" INTEGER NOT NULL,
    "reference_price" DECIMAL(18,4) NOT NULL,
    "last_price" DECIMAL(18,4),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instruments_pkey" PRIMARY KEY ("symbol")
);

-- CreateTable
CREATE TABLE "portfolios" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "cash" DECIMAL(24,4) NOT NULL,
    "starting_cash" DECIMAL(24,4) NOT NULL,
    "allow_short" BOOLEAN NOT NULL DEFAULT false,
    "is_house" BOOLEAN NOT NULL DEFAULT false,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "portfolios_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "positions" (
    "portfolio_id" INTEGER NOT NULL,
    "symbol" VARCHAR(16) NOT NULL,
    "quantity" BIGINT NOT NULL,
    "cost_basis" DECIMAL(28,4) NOT NULL,
    "realized_pnl" DECIMAL(28,4) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "positions_pkey" PRIMARY KEY ("portfolio_id","symbol")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" BIGINT NOT NULL,
    "client_order_id" VARCHAR(64),
    "portfolio_id" INTEGER NOT NULL,
    "symbol" VARCHAR(16) NOT NULL,
    "side" "Side" NOT NULL,
    "type" "OrderType" NOT NULL,
    "time_in_force" "TimeInForce" NOT NULL,
    "quantity" BIGINT NOT NULL,
    "filled_quantity" BIGINT NOT NULL DEFAULT 0,
    "filled_notional" DECIMAL(28,4) NOT NULL DEFAULT 0,
    "limit_price" DECIMAL(18,4),
    "stop_price" DECIMAL(18,4),
    "status" "OrderStatus" NOT NULL,
    "reason" VARCHAR(64),
    "waiting" BOOLEAN NOT NULL DEFAULT false,
    "priority" BIGINT,
    "user_id" VARCHAR(128),
    "origin" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trades" (
    "id" BIGINT NOT NULL,
    "symbol" VARCHAR(16) NOT NULL,
    "price" DECIMAL(18,4) NOT NULL,
    "quantity" BIGINT NOT NULL,
    "gmv" DECIMAL(28,4) NOT NULL,
    "aggressor_side" "Side" NOT NULL,
    "buy_order_id" BIGINT,
    "sell_order_id" BIGINT,
    "buy_portfolio_id" INTEGER NOT NULL,
    "sell_portfolio_id" INTEGER NOT NULL,
    "kind" VARCHAR(16) NOT NULL DEFAULT 'MATCH',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "trades_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "hash" VARCHAR(64) NOT NULL,
    "scopes" TEXT[],
    "portfolios" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "key_id" INTEGER,
    "actor" VARCHAR(128),
    "action" VARCHAR(64) NOT NULL,
    "target" VARCHAR(128),
    "outcome" VARCHAR(32) NOT NULL,
    "details" JSONB,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "id_sequences" (
    "name" VARCHAR(32) NOT NULL,
    "next" BIGINT NOT NULL,

    CONSTRAINT "id_sequences_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "slack_channel_defaults" (
    "team_id" VARCHAR(32) NOT NULL,
    "channel_id" VARCHAR(32) NOT NULL,
    "portfolio_name" VARCHAR(100) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_channel_defaults_pkey" PRIMARY KEY ("team_id","channel_id")
);

-- CreateTable
CREATE TABLE "slack_order_messages" (
    "order_id" BIGINT NOT NULL,
    "channel_id" VARCHAR(32) NOT NULL,
    "message_ts" VARCHAR(32),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_order_messages_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "slack_fill_notices" (
    "trade_id" BIGINT NOT NULL,
    "order_id" BIGINT NOT NULL,
    "posted_at" TIMESTAMPTZ(3),

    CONSTRAINT "slack_fill_notices_pkey" PRIMARY KEY ("trade_id","order_id")
);

-- CreateTable
CREATE TABLE "slack_cursors" (
    "name" VARCHAR(32) NOT NULL,
    "value" BIGINT NOT NULL,

    CONSTRAINT "slack_cursors_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "portfolios_name_key" ON "portfolios"("name");

-- CreateIndex
CREATE INDEX "orders_status_symbol_idx" ON "orders"("status", "symbol");

-- CreateIndex
CREATE INDEX "orders_portfolio_id_id_idx" ON "orders"("portfolio_id", "id");

-- CreateIndex
CREATE INDEX "orders_symbol_id_idx" ON "orders"("symbol", "id");

-- CreateIndex
CREATE UNIQUE INDEX "orders_portfolio_id_client_order_id_key" ON "orders"("portfolio_id", "client_order_id");

-- CreateIndex
CREATE INDEX "trades_symbol_id_idx" ON "trades"("symbol", "id");

-- CreateIndex
CREATE INDEX "trades_buy_portfolio_id_id_idx" ON "trades"("buy_portfolio_id", "id");

-- CreateIndex
CREATE INDEX "trades_sell_portfolio_id_id_idx" ON "trades"("sell_portfolio_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

-- AddForeignKey
ALTER TABLE "positions" ADD CONSTRAINT "positions_portfolio_id_fkey" FOREIGN KEY ("portfolio_id") REFERENCES "portfolios"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "positions" ADD CONSTRAINT "positions_symbol_fkey" FOREIGN KEY ("symbol") REFERENCES "instruments"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_portfolio_id_fkey" FOREIGN KEY ("portfolio_id") REFERENCES "portfolios"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_symbol_fkey" FOREIGN KEY ("symbol") REFERENCES "instruments"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trades" ADD CONSTRAINT "trades_symbol_fkey" FOREIGN KEY ("symbol") REFERENCES "instruments"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;
