-- dialect: hive (Athena runs DDL through Hive)
-- The inventory_keys table, written daily by the inventory function (and
-- `keytrail inventory`) as Parquet under <lake>/inventory/keys/day=YYYY-MM-DD/,
-- one object per account and region: a rerun the same day replaces it.
-- One row per KMS key of each covered account and region, with its
-- aliases, rotation status, key policy and grants (JSON text).
-- Columns and types match inventory.Key (checked by a test).
CREATE EXTERNAL TABLE IF NOT EXISTS inventory_keys (
  `collected_at` timestamp,
  `account` string,
  `region` string,
  `arn` string,
  `key_id` string,
  `aliases` array<string>,
  `description` string,
  `state` string,
  `manager` string,
  `origin` string,
  `spec` string,
  `usage` string,
  `multi_region` boolean,
  `created` timestamp,
  `deletion_date` timestamp,
  `rotation_enabled` boolean,
  `rotation_period_days` bigint,
  `next_rotation` timestamp,
  `tags` string,
  `key_policy` string,
  `grant_count` bigint,
  `grants` string,
  `errors` array<string>
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/inventory/keys/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/inventory/keys/day=${day}/'
)
