-- @name review_unused
-- @description Quarterly review: secrets and keys the lake knows about
-- @description (any event since history_from) that nobody used successfully
-- @description in the period: candidates for deletion.
-- @param history_from timestamp How far back to look for known resources (RFC 3339).
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind history_from:day to:day history_from to from from
-- "Use" means a data call: reading or writing a secret value, or a
-- cryptographic operation with a key (the list use_events, queries.UseEvents).
-- Describe, List and management calls are not use.
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
),
per AS (
  SELECT
    r.arn AS resource_arn,
    min(u.event_time) AS first_seen,
    max(u.event_time) AS last_activity,
    max(CASE WHEN u.is_use AND NOT u.failed THEN u.event_time END) AS last_use,
    sum(CASE WHEN u.is_use AND NOT u.failed AND u.event_time >= ? THEN 1 ELSE 0 END) AS uses_in_period,
    sum(CASE WHEN u.event_time >= ? THEN 1 ELSE 0 END) AS calls_in_period,
    max(CASE WHEN u.event_name IN ('DeleteSecret', 'ScheduleKeyDeletion') AND NOT u.failed THEN u.event_time END) AS deletion_requested
  FROM (
    SELECT
      ev.*,
      ev.event_name IN (
        -- @list use_events
        'GetSecretValue'
      ) AS is_use
    FROM ev
  ) u
  CROSS JOIN UNNEST(u.resource_arns) AS r (arn)
  GROUP BY r.arn
)
SELECT
  resource_arn,
  CASE split_part(resource_arn, ':', 3) WHEN 'secretsmanager' THEN 'secret' WHEN 'kms' THEN 'key' ELSE 'other' END AS resource_type,
  first_seen,
  last_activity,
  last_use,
  calls_in_period,
  deletion_requested
FROM per
WHERE uses_in_period = 0
ORDER BY resource_arn
