-- The store's first schema. {{TIMESTAMP}}, {{BYTES}} and {{ID}} are filled
-- per database by migrationTypes (dialect.go); everything else is common SQL.
-- Links are referenced by their text id without foreign keys, so that a flow
-- never fails because the host has not written a link row yet.

CREATE TABLE links (
    id                TEXT PRIMARY KEY,
    connector         TEXT NOT NULL,
    connector_version TEXT NOT NULL DEFAULT '',
    created_at        {{TIMESTAMP}} NOT NULL,
    updated_at        {{TIMESTAMP}} NOT NULL,
    disabled          BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE product_bindings (
    link               TEXT NOT NULL,
    sku                TEXT NOT NULL,
    channel_product_id TEXT NOT NULL DEFAULT '',
    channel_variant_id TEXT NOT NULL DEFAULT '',
    rackbeat_number    TEXT NOT NULL DEFAULT '',
    inventory_hash     TEXT NOT NULL DEFAULT '',
    channel_hash       TEXT NOT NULL DEFAULT '',
    updated_at         {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (link, sku)
);
CREATE INDEX product_bindings_variant ON product_bindings (link, channel_variant_id);

-- The primary key (link, channel_order_id) is the exactly-once guarantee.
CREATE TABLE order_bindings (
    link                  TEXT NOT NULL,
    channel_order_id      TEXT NOT NULL,
    state                 TEXT NOT NULL,
    rackbeat_order_number BIGINT NOT NULL DEFAULT 0,
    forced                BOOLEAN NOT NULL DEFAULT FALSE,
    last_error            TEXT NOT NULL DEFAULT '',
    created_at            {{TIMESTAMP}} NOT NULL,
    updated_at            {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (link, channel_order_id)
);
CREATE INDEX order_bindings_state ON order_bindings (link, state);

-- An operator's forced re-import of an order is its own row, keyed by an
-- import id, so that retries of one forced import still create one order.
CREATE TABLE forced_order_imports (
    import_id             TEXT PRIMARY KEY,
    link                  TEXT NOT NULL,
    channel_order_id      TEXT NOT NULL,
    state                 TEXT NOT NULL,
    rackbeat_order_number BIGINT NOT NULL DEFAULT 0,
    last_error            TEXT NOT NULL DEFAULT '',
    created_at            {{TIMESTAMP}} NOT NULL,
    updated_at            {{TIMESTAMP}} NOT NULL
);
CREATE INDEX forced_order_imports_order ON forced_order_imports (link, channel_order_id);

CREATE TABLE cursors (
    link       TEXT NOT NULL,
    flow       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (link, flow)
);

CREATE TABLE quarantine (
    id         {{ID}},
    link       TEXT NOT NULL,
    flow       TEXT NOT NULL,
    item_key   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    payload    {{BYTES}},
    attempts   INTEGER NOT NULL DEFAULT 1,
    last_error TEXT NOT NULL DEFAULT '',
    created_at {{TIMESTAMP}} NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL,
    UNIQUE (link, flow, item_key)
);

CREATE TABLE webhook_deliveries (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (source, delivery_id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

CREATE TABLE initial_sync (
    link   TEXT PRIMARY KEY,
    ran_at {{TIMESTAMP}} NOT NULL,
    result TEXT NOT NULL,
    forced BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE audit (
    id       {{ID}},
    link     TEXT NOT NULL,
    flow     TEXT NOT NULL,
    action   TEXT NOT NULL,
    item_key TEXT NOT NULL DEFAULT '',
    detail   TEXT NOT NULL DEFAULT '',
    at       {{TIMESTAMP}} NOT NULL
);
CREATE INDEX audit_link_at ON audit (link, at);

CREATE TABLE stock_levels_written (
    link            TEXT NOT NULL,
    sku             TEXT NOT NULL,
    location        TEXT NOT NULL,
    quantity        BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL DEFAULT '',
    updated_at      {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (link, sku, location)
);

-- Secrets are AES-256-GCM ciphertext; the plaintext never reaches the database.
CREATE TABLE secrets (
    link       TEXT NOT NULL,
    name       TEXT NOT NULL,
    ciphertext {{BYTES}} NOT NULL,
    nonce      {{BYTES}} NOT NULL,
    expires_at {{TIMESTAMP}},
    updated_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (link, name)
);
