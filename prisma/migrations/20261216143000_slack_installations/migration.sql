-- AlterTable
ALTER TABLE "slack_order_messages" ADD COLUMN     "team_id" VARCHAR(32);

-- CreateTable
CREATE TABLE "slack_installations" (
    "team_id" VARCHAR(32) NOT NULL,
    "enterprise_id" VARCHAR(32),
    "bot_user_id" VARCHAR(32) NOT NULL,
    "installer_user_id" VARCHAR(32) NOT NULL,
    "token_expires_at" TIMESTAMPTZ(3),
    "secret" TEXT NOT NULL,
    "installed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_installations_pkey" PRIMARY KEY ("team_id")
);

-- CreateTable
CREATE TABLE "slack_workspace_desks" (
    "team_id" VARCHAR(32) NOT NULL,
    "desk_id" INTEGER NOT NULL,
    "desk_name" VARCHAR(64) NOT NULL,
    "desk_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "slack_workspace_desks_pkey" PRIMARY KEY ("team_id")
);
