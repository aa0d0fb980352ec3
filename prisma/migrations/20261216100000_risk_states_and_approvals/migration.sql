-- AlterEnum
ALTER TYPE "OrderStatus" ADD VALUE 'PENDING_APPROVAL';

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "placed_by" VARCHAR(128);

-- CreateTable
CREATE TABLE "desk_risk" (
    "desk_id" INTEGER NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "desk_risk_pkey" PRIMARY KEY ("desk_id")
);

-- CreateTable
CREATE TABLE "portfolio_risk" (
    "portfolio_id" INTEGER NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "max_order_notional" DECIMAL(24,4),
    "max_position" BIGINT,
    "max_gross_exposure" DECIMAL(28,4),
    "approval_threshold" DECIMAL(24,4),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "portfolio_risk_pkey" PRIMARY KEY ("portfolio_id")
);
