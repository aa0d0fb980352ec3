-- The Slack bot's daily digest subscriptions (`/pnl digest HH:MM`), one per channel.

-- CreateTable
CREATE TABLE "slack_digests" (
    "team_id" VARCHAR(32) NOT NULL,
    "channel_id" VARCHAR(32) NOT NULL,
    "at_minute" INTEGER NOT NULL,
    "next_on" DATE NOT NULL,
    "created_by" VARCHAR(32) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_digests_pkey" PRIMARY KEY ("team_id","channel_id")
);
