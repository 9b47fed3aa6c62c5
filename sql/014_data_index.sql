-- Queries on data paths (@orderId:ord_123, @cart.items.sku:AB-1) compile to
-- `data @? '$."orderId" ? (@ == "ord_123")'` (server/query/sql.ts). A GIN index with the
-- jsonb_path_ops operator class serves such equalities: it hashes each value with the keys on
-- its path, arrays unwrapped, which is what the lax jsonpath reads. Comparisons (>, <),
-- wildcards and exists are not indexable this way and use the other filters' indexes.
-- Its cost on ingest is measured in docs/schema.md.
CREATE INDEX platform_logs_data_idx ON platform_logs USING gin (data jsonb_path_ops);
