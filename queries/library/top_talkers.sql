-- @name top_talkers
-- @description The principals with the most calls on each secret and key
-- @description in a window. An event naming several resources counts for
-- @description each of them.
-- @param resource string= ARN of a secret or key; empty means every resource.
-- @param top integer=5 Principals per resource.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to resource resource resource resource top
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    -- Only events naming the resource; the unnested name is checked below.
    AND (? = '' OR contains(e.resource_arns, ?))
),
per AS (
  SELECT
    r.arn AS resource_arn,
    ev.principal_arn,
    count(*) AS calls,
    sum(CASE WHEN ev.failed THEN 1 ELSE 0 END) AS failures
  FROM ev
  CROSS JOIN UNNEST(ev.resource_arns) AS r (arn)
  WHERE ? = '' OR r.arn = ?
  GROUP BY r.arn, ev.principal_arn
),
ranked AS (
  SELECT
    per.*,
    row_number() OVER (PARTITION BY resource_arn ORDER BY calls DESC, principal_arn) AS talker_rank
  FROM per
)
SELECT resource_arn, talker_rank, principal_arn, calls, failures
FROM ranked
WHERE talker_rank <= ?
ORDER BY resource_arn, talker_rank
