-- @name review_delete
-- @description Quarterly review: secrets nobody used in the idle window
-- @description before the period's end (the review uses 90 days): no
-- @description successful read or write of the value in the lake, and none
-- @description Secrets Manager itself recorded (last accessed) since. The
-- @description monthly cost saved by deleting each is $0.40, as AWS prices a
-- @description secret (replicas are billed apart). Latest inventory of the period.
-- @param idle_from timestamp Start of the idle window: a secret not used since then is idle (RFC 3339).
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind idle_from:day to:day idle_from to from:day to:day from:day to:day from:day to:day from:day to:day idle_from idle_from
-- Not listed: secrets already scheduled for deletion, and secrets created
-- after idle_from (too young to have been idle for the whole window). The
-- lake answers only for the days it holds: see the review's coverage.
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
    AND NOT e.failed
),
-- @with inv aliases used
idle AS (
  SELECT
    s.name AS secret_name,
    s.arn AS secret_arn,
    s.account,
    s.region,
    coalesce(json_extract_scalar(s.tags, '$.owner'), json_extract_scalar(s.tags, '$.Owner'), '') AS owner,
    s.created,
    s.last_accessed,
    s.last_changed,
    CAST(0.40 AS DOUBLE) AS monthly_cost_usd
  FROM inventory_secrets s
  WHERE s.day >= ? AND s.day < ?
    AND s.day = (SELECT day FROM inv)
    AND NOT s.pending_deletion
    AND (s.created IS NULL OR s.created < ?)
    AND (s.last_accessed IS NULL OR s.last_accessed < ?)
    AND NOT EXISTS (SELECT 1 FROM used u WHERE u.resource_arn = s.arn)
)
SELECT *
FROM idle
ORDER BY secret_name, secret_arn
