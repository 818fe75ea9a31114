-- dialect: hive (Athena runs DDL through Hive; `start` and `end` are reserved there and need backticks)
-- The events table: one row per Secrets Manager or KMS CloudTrail record,
-- written by ingest as Parquet under <lake>/events/day=YYYY-MM-DD/.
-- Columns and types match internal/event.Event (checked by a test).
-- Partition projection computes the day partitions from the table
-- properties: no crawler, no MSCK REPAIR TABLE, no partitions to add.
-- A partition may briefly hold an event twice (CloudTrail repeats events;
-- compaction writes before it deletes): count through events_unique or
-- the library's dedup step, never over this table directly.
CREATE EXTERNAL TABLE IF NOT EXISTS events (
  `event_id` string,
  `event_time` timestamp,
  `event_version` string,
  `event_source` string,
  `event_name` string,
  `event_type` string,
  `event_category` string,
  `read_only` boolean,
  `management_event` boolean,
  `aws_region` string,
  `recipient_account_id` string,
  `request_id` string,
  `shared_event_id` string,
  `failed` boolean,
  `error_code` string,
  `error_message` string,
  `identity_type` string,
  `caller_kind` string,
  `principal_arn` string,
  `principal_id` string,
  `principal_account_id` string,
  `principal_name` string,
  `session_name` string,
  `caller_arn` string,
  `access_key_id` string,
  `mfa_authenticated` boolean,
  `session_issuer_arn` string,
  `invoked_by` string,
  `source_ip` string,
  `user_agent` string,
  `vpc_endpoint_id` string,
  `from_console` boolean,
  `resource_arn` string,
  `resource_type` string,
  `resource_name` string,
  `resource_account_id` string,
  `resource_arns` array<string>,
  `key_alias` string,
  `encryption_context` string,
  `request_parameters` string,
  `response_elements` string,
  `additional_event_data` string,
  `source_object` string,
  `source_index` bigint
)
PARTITIONED BY (`day` string)
STORED AS PARQUET
LOCATION '${lake}/events/'
TBLPROPERTIES (
  'parquet.compression' = 'ZSTD',
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy-MM-dd',
  'projection.day.range' = '2020-01-01,NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '${lake}/events/day=${day}/'
)
