-- @name review_access
-- @description Quarterly review: for each secret and key, the principals
-- @description that used it in the period, with calls, failures, first and
-- @description last use. An event naming several resources counts for each.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
-- "Use" means a data call: reading or writing a secret value, or a
-- cryptographic operation with a key (the list use_events, queries.UseEvents).
-- Describe, List and management calls are not use.
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.event_name IN (
      -- @list use_events
      'GetSecretValue'
    )
)
SELECT
  r.arn AS resource_arn,
  CASE split_part(r.arn, ':', 3) WHEN 'secretsmanager' THEN 'secret' WHEN 'kms' THEN 'key' ELSE 'other' END AS resource_type,
  ev.principal_arn,
  ev.principal_account_id,
  count(*) AS calls,
  sum(CASE WHEN ev.failed THEN 1 ELSE 0 END) AS failures,
  min(ev.event_time) AS first_use,
  max(ev.event_time) AS last_use
FROM ev
CROSS JOIN UNNEST(ev.resource_arns) AS r (arn)
GROUP BY r.arn, ev.principal_arn, ev.principal_account_id
ORDER BY resource_arn, calls DESC, principal_arn
