-- Each portfolio's equity over time (cash + positions at the reference prices), for the leaderboard
-- and equity curves: written off the order path every few minutes and at each session close.

-- CreateTable
CREATE TABLE "equity_snapshots" (
    "desk_id" INTEGER NOT NULL,
    "portfolio_id" INTEGER NOT NULL,
    "taken_at" TIMESTAMPTZ(3) NOT NULL,
    "equity" DECIMAL(28,4) NOT NULL,
    "cash" DECIMAL(24,4) NOT NULL,

    CONSTRAINT "equity_snapshots_pkey" PRIMARY KEY ("desk_id","portfolio_id","taken_at")
);
