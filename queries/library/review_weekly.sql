-- @name review_weekly
-- @description Quarterly review: use of secrets and keys per week (weeks
-- @description start on Monday, UTC), with failures.
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
  date_format(date_trunc('week', event_time), '%Y-%m-%d') AS week,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures
FROM ev
GROUP BY 1
ORDER BY week
