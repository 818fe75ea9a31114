-- @name review_revoke
-- @description Quarterly review: permissions granted but unused in the
-- @description period, per principal, secret or key and what grants them
-- @description (the policy statement or grant to change): candidates to
-- @description revoke. Latest inventory of the period.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param self_principals string= keytrail's own roles (ARNs separated by spaces, which IAM names never hold) besides the roles under the path /keytrail/ of the accounts the inventory covers, where the stack puts them.
-- @bind from:day to:day from to from:day to:day from:day to:day from:day to:day from:day to:day from:day to:day from:day to:day self_principals
-- A row is a principal x resource x grant where the principal made no
-- successful data call to the resource in the period (its role's sessions
-- included; for another account's root, any principal of that account). Not listed: keytrail's own roles
-- and AWS service principals (see review_permissions), and what no policy
-- can take away: an account's root in its own account.
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
unused AS (
  SELECT
    n.name AS resource_name,
    p.resource_arn,
    regexp_extract(p.principal_arn, '[^/:]+$') AS principal_name,
    p.principal_arn,
    CASE
      WHEN p.principal_kind = 'public' THEN 'public'
      WHEN p.principal_kind = 'root' THEN 'account'
      WHEN p.principal_kind = 'user' OR p.principal_arn LIKE 'arn:%:iam::%:role/aws-reserved/sso.amazonaws.com/%' THEN 'person'
      ELSE 'workload'
    END AS principal_class,
    p.granted_by,
    p.conditions,
    array_join(array_sort(array_agg(p.action)), ', ') AS actions,
    bool_or(p.outside) AS outside
  FROM perm p
  LEFT JOIN names n ON n.arn = p.resource_arn
  WHERE p.principal_kind <> 'service'
    AND p.via <> 'root'
    AND NOT (p.principal_kind = 'root' AND split_part(p.principal_arn, ':', 5) = p.account)
    AND NOT ((p.principal_arn LIKE 'arn:%:iam::%:role/keytrail/%' AND NOT p.outside)
      OR (p.principal_arn <> '' AND strpos(' ' || ? || ' ', ' ' || p.principal_arn || ' ') > 0))
    AND NOT EXISTS (
      SELECT 1
      FROM used u
      WHERE u.resource_arn = p.resource_arn
        AND (u.identity_arn = p.principal_arn OR (p.principal_kind = 'root' AND u.identity_account = split_part(p.principal_arn, ':', 5)))
    )
  GROUP BY n.name, p.resource_arn, p.resource_type, p.account, p.principal_arn, p.principal_kind, p.granted_by, p.via, p.conditions
)
SELECT *
FROM unused
ORDER BY resource_name, resource_arn, principal_name, principal_arn, granted_by
