-- CreateTable
CREATE TABLE "desk_members" (
    "desk_id" INTEGER NOT NULL,
    "member" VARCHAR(100) NOT NULL,
    "role" VARCHAR(16) NOT NULL,
    "portfolios" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "desk_members_pkey" PRIMARY KEY ("desk_id","member")
);

-- CreateTable
CREATE TABLE "desk_channel_grants" (
    "desk_id" INTEGER NOT NULL,
    "channel" VARCHAR(32) NOT NULL,
    "portfolio" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "desk_channel_grants_pkey" PRIMARY KEY ("desk_id","channel","portfolio")
);

-- CreateTable
CREATE TABLE "desk_trading_channels" (
    "desk_id" INTEGER NOT NULL,
    "channel" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "desk_trading_channels_pkey" PRIMARY KEY ("desk_id","channel")
);
