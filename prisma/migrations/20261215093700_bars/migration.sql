-- One-minute bars per instrument (the deployment's): written by the bar builder in small upserts,
-- read by GET /bars (larger intervals aggregated from these rows) and the bars:SYMBOL feed channel.

-- CreateTable
CREATE TABLE "bars" (
    "symbol" VARCHAR(16) NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "open" DECIMAL(18,4) NOT NULL,
    "high" DECIMAL(18,4) NOT NULL,
    "low" DECIMAL(18,4) NOT NULL,
    "close" DECIMAL(18,4) NOT NULL,
    "volume" DECIMAL(30,8) NOT NULL,

    CONSTRAINT "bars_pkey" PRIMARY KEY ("symbol","start_at")
);
