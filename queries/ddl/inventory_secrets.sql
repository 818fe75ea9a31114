-- dialect: hive (Athena runs DDL through Hive)
-- The inventory_secrets table, written daily by the inventory function (and
-- `keytrail inventory`) as Parquet under <lake>/inventory/secrets/day=YYYY-MM-DD/,
-- one object per account and region: a rerun the same day replaces it.
-- One row per Secrets Manager secret of each covered account and region
-- (those scheduled for deletion included), as DescribeSecret and
-- GetResourcePolicy describe it; the value is never read.
-- Columns and types match inventory.Secret (checked by a test).
CREATE EXTERNAL TABLE IF NOT EXISTS inventory_secrets (
  `collected_at` timestamp,
  `account` string,
  `region` string,
  `arn` string,
  `name` string,
  `description` string,
  `kms_key_id` string,
  `owning_service` string,
  `type` string,
  `rotation_enabled` boolean,
  `rotation_lambda_arn` string,
  `rotation_every_days` bigint,
  `rotation_schedule` string,
  `rotation_window` string,
  `last_rotated` timestamp,
  `next_rotation` timestamp,
  `last_accessed` timestamp,
  `last_changed` timestamp,
  `created` timestamp,
  `deletion_date` timestamp,
  `pending_deletion` boolean,
  `primary_region` string,
  `replicas` array<string>,
  `tags` string,
  `resource_policy` string,
  `errors` array<string>
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/inventory/secrets/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/inventory/secrets/day=${day}/'
)
