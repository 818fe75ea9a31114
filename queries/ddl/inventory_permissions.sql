-- dialect: hive (Athena runs DDL through Hive)
-- The inventory_permissions table, written daily by the inventory function (and
-- `keytrail inventory`) as Parquet under <lake>/inventory/permissions/day=YYYY-MM-DD/,
-- one object per account and region: a rerun the same day replaces it.
-- Who may: one row per principal × secret or key × action × way in,
-- evaluated from identity, resource and key policies and grants, explicit
-- denies applied; conditions are listed, not evaluated.
-- Columns and types match inventory.Permission (checked by a test).
CREATE EXTERNAL TABLE IF NOT EXISTS inventory_permissions (
  `collected_at` timestamp,
  `account` string,
  `region` string,
  `resource_arn` string,
  `resource_type` string,
  `principal_arn` string,
  `principal_kind` string,
  `action` string,
  `granted_by` string,
  `via` string,
  `conditions` string,
  `outside` boolean,
  `public` boolean
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/inventory/permissions/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/inventory/permissions/day=${day}/'
)
