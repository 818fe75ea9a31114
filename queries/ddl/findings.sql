-- dialect: hive (Athena runs DDL through Hive; `start` and `end` are reserved there and need backticks)
-- The findings table: one row per detector finding, written as Parquet
-- under <lake>/findings/day=YYYY-MM-DD/ (the UTC day of the finding's
-- start). Columns and types match internal/finding.Finding (checked by a
-- test). Retries may write a finding twice: its id is deterministic, so
-- count through findings_unique or dedup by id.
CREATE EXTERNAL TABLE IF NOT EXISTS findings (
  `id` string,
  `kind` string,
  `severity` string,
  `principal` string,
  `resource` string,
  `resources` array<string>,
  `start` timestamp,
  `end` timestamp,
  `count` bigint,
  `title` string,
  `reason` string,
  `event_ids` array<string>,
  `query` string,
  `principal_name` string,
  `principal_account` string,
  `caller_kind` string,
  `session_names` array<string>,
  `event_names` array<string>,
  `source_ips` array<string>,
  `user_agents` array<string>,
  `vpc_endpoints` array<string>,
  `regions` array<string>,
  `error_codes` array<string>,
  `shadow` boolean
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/findings/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/findings/day=${day}/'
)
