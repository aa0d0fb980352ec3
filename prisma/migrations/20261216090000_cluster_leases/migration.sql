-- CreateTable
CREATE TABLE "desk_leases" (
    "desk_id" INTEGER NOT NULL,
    "owner" VARCHAR(64),
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "desk_leases_pkey" PRIMARY KEY ("desk_id")
);

-- CreateTable
CREATE TABLE "cluster_members" (
    "id" VARCHAR(64) NOT NULL,
    "internal_url" VARCHAR(300) NOT NULL,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cluster_members_pkey" PRIMARY KEY ("id")
);
