-- dialect: hive (Athena runs DDL through Hive)
-- The inventory_principals table, written daily by the inventory function (and
-- `keytrail inventory`) as Parquet under <lake>/inventory/principals/day=YYYY-MM-DD/,
-- one object per account and region: a rerun the same day replaces it.
-- One row per IAM user and role of each covered account, from
-- GetAccountAuthorizationDetails (region is not a column: IAM is global).
-- Columns and types match inventory.Principal (checked by a test).
CREATE EXTERNAL TABLE IF NOT EXISTS inventory_principals (
  `collected_at` timestamp,
  `account` string,
  `arn` string,
  `kind` string,
  `name` string,
  `path` string,
  `id` string,
  `created` timestamp,
  `last_used` timestamp,
  `last_used_region` string,
  `tags` string,
  `groups` array<string>,
  `attached_policies` array<string>,
  `inline_policies` array<string>,
  `permissions_boundary` string,
  `trust_policy` string,
  `errors` array<string>
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/inventory/principals/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/inventory/principals/day=${day}/'
)
