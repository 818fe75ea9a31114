-- @name review_rotation
-- @description Quarterly review: secrets whose rotation is off or overdue
-- @description (last rotated, or created if never, more than
-- @description max_rotation_days before the inventory's day), customer managed
-- @description symmetric keys without automatic rotation, and keys pending
-- @description deletion with their date; with each one's use in the
-- @description period. Latest inventory of the period.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param max_rotation_days integer=90 Longest acceptable time between two rotations of a secret, in days.
-- @bind from:day to:day from to from:day to:day from:day to:day from:day to:day max_rotation_days from:day to:day from:day to:day
-- Ages are counted to the inventory's day: what it knows of the last
-- rotation is as of then.
-- KMS rotates a key itself once rotation is on, so a key is only checked
-- for rotation being on; AWS managed keys rotate yearly and are not listed,
-- nor keys KMS cannot rotate (asymmetric, HMAC, imported, external stores).
-- A key pending deletion is listed for its date alone.
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
checked AS (
  SELECT
    'secret' AS resource_type,
    s.name AS resource_name,
    s.arn AS resource_arn,
    s.account,
    s.region,
    s.tags,
    CASE
      WHEN NOT s.rotation_enabled THEN 'rotation off'
      WHEN date_diff('day', coalesce(s.last_rotated, s.created), CAST(CAST(s.day AS DATE) AS TIMESTAMP)) > CAST(? AS BIGINT) THEN 'rotation overdue'
    END AS issue,
    s.rotation_every_days AS rotation_days,
    s.last_rotated,
    date_diff('day', coalesce(s.last_rotated, s.created), CAST(CAST(s.day AS DATE) AS TIMESTAMP)) AS days_since_rotation,
    CAST(NULL AS TIMESTAMP) AS deletion_date
  FROM inventory_secrets s
  WHERE s.day >= ? AND s.day < ?
    AND s.day = (SELECT day FROM inv)
    AND NOT s.pending_deletion
  UNION ALL
  SELECT
    'key' AS resource_type,
    coalesce(nullif(array_join(k.aliases, ', '), ''), 'key/' || k.key_id) AS resource_name,
    k.arn AS resource_arn,
    k.account,
    k.region,
    k.tags,
    CASE
      WHEN k.state = 'PendingDeletion' THEN 'pending deletion'
      WHEN k.rotation_enabled = false THEN 'key rotation off'
    END AS issue,
    k.rotation_period_days AS rotation_days,
    CAST(NULL AS TIMESTAMP) AS last_rotated,
    CAST(NULL AS BIGINT) AS days_since_rotation,
    k.deletion_date
  FROM inventory_keys k
  WHERE k.day >= ? AND k.day < ?
    AND k.day = (SELECT day FROM inv)
    AND k.manager = 'CUSTOMER'
    AND (k.state = 'PendingDeletion' OR (k.spec = 'SYMMETRIC_DEFAULT' AND k.origin = 'AWS_KMS'))
)
SELECT
  c.resource_type,
  c.resource_name,
  c.resource_arn,
  coalesce(json_extract_scalar(c.tags, '$.owner'), json_extract_scalar(c.tags, '$.Owner'), '') AS owner,
  c.issue,
  c.rotation_days,
  c.last_rotated,
  c.days_since_rotation,
  c.deletion_date,
  max(u.event_time) AS last_used,
  count(u.event_time) AS calls
FROM checked c
LEFT JOIN used u ON u.resource_arn = c.resource_arn
WHERE c.issue IS NOT NULL
GROUP BY c.resource_type, c.resource_name, c.resource_arn, c.account, c.region, c.tags, c.issue, c.rotation_days, c.last_rotated, c.days_since_rotation, c.deletion_date
ORDER BY c.issue, c.resource_name, c.resource_arn
