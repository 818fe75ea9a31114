-- dialect: hive (Athena runs DDL through Hive)
-- The inventory_coverage table, written daily by the inventory function (and
-- `keytrail inventory`) as Parquet under <lake>/inventory/coverage/day=YYYY-MM-DD/,
-- one object per account and region: a rerun the same day replaces it.
-- One row per account × region × table of each run: ok, partial,
-- denied or error, and why. A day's inventory covers what these say.
-- Columns and types match inventory.Coverage (checked by a test).
CREATE EXTERNAL TABLE IF NOT EXISTS inventory_coverage (
  `collected_at` timestamp,
  `account` string,
  `region` string,
  `table_name` string,
  `status` string,
  `error` string,
  `row_count` bigint,
  `item_errors` bigint,
  `via` string
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/inventory/coverage/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/inventory/coverage/day=${day}/'
)
