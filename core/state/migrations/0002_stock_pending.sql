-- SKUs whose stock moved in Rackbeat and is not yet written to a link's
-- channel. A Rackbeat webhook notes the SKU in the same transaction as its
-- delivery id; one flush job per link takes them in batches, so a burst of
-- changes becomes a few 250-row writes instead of one write per SKU.
-- version grows each time the SKU is noted again, so a flush removes only
-- what it pushed and keeps a change that arrived during the push.
CREATE TABLE stock_pending (
    link     TEXT NOT NULL,
    sku      TEXT NOT NULL,
    version  BIGINT NOT NULL DEFAULT 1,
    noted_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (link, sku)
);
