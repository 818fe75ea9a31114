-- @name review_outside
-- @description Quarterly review: secrets and keys that principals outside
-- @description the organization, or anyone, may use (the inventory's
-- @description outside and public columns, decided by internal/policy as
-- @description the detector decides them), with their use in the period:
-- @description fix, or confirm the trust. Latest inventory of the period.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to from:day to:day from:day to:day from:day to:day from:day to:day from:day to:day from:day to:day
-- "Outside" is outside the accounts the inventory covers. Use by an
-- account's root permission is use by any principal of that account; "*"
-- is never credited with use.
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
-- @with inv aliases names perm used
per AS (
  SELECT
    p.resource_arn, p.resource_type, p.account, p.principal_arn, p.principal_kind,
    p.granted_by, p.conditions, p.public,
    array_join(array_sort(array_agg(DISTINCT p.action)), ', ') AS actions
  FROM perm p
  WHERE p.outside OR p.public
  GROUP BY p.resource_arn, p.resource_type, p.account, p.principal_arn, p.principal_kind, p.granted_by, p.conditions, p.public
)
SELECT
  n.name AS resource_name,
  x.resource_arn,
  regexp_extract(x.principal_arn, '[^/:]+$') AS principal_name,
  x.principal_arn,
  x.principal_kind,
  x.public,
  x.actions,
  x.granted_by,
  x.conditions,
  max(u.event_time) AS last_used,
  count(u.event_time) AS calls
FROM per x
LEFT JOIN names n ON n.arn = x.resource_arn
LEFT JOIN used u
  ON u.resource_arn = x.resource_arn
  AND (u.identity_arn = x.principal_arn OR (x.principal_kind = 'root' AND u.identity_account = split_part(x.principal_arn, ':', 5)))
GROUP BY n.name, x.resource_arn, x.resource_type, x.account, x.principal_arn, x.principal_kind, x.public, x.actions, x.granted_by, x.conditions
ORDER BY x.public DESC, resource_name, x.resource_arn, principal_name, x.principal_arn, x.granted_by
