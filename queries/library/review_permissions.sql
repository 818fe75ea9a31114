-- @name review_permissions
-- @description Quarterly review: who may and who did. Every permission of
-- @description the latest inventory of the period (principal x secret or
-- @description key x action x what grants it x conditions), with the
-- @description principal's last successful use of that action in the
-- @description period (empty when unused) and its calls; then the uses the
-- @description inventory has no permission for.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param self_principals string= keytrail's own roles (ARNs separated by spaces, which IAM names never hold) besides the roles under the path /keytrail/ of the accounts the inventory covers, where the stack puts them.
-- @bind from:day to:day from to from:day to:day from:day to:day from:day to:day from:day to:day from:day to:day from:day to:day self_principals
-- The inventory read is the latest day of the period with an inventory
-- (inventory_coverage); a period without one gives no rows, which the
-- review reports as "not checked", never as "none".
-- principal_class: person (IAM users, IAM Identity Center roles), workload
-- (other roles, other accounts' principals), service (AWS service
-- principals), keytrail (keytrail's own roles), account (an account's root:
-- the account's identity policies decide), public ("*").
-- A role session's use counts for its role; an account root's permission
-- is used by any principal of that account; "*" is never credited with use.
-- A key named by an alias ARN counts for the key.
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
matched AS (
  SELECT
    p.resource_arn, p.resource_type, p.account, p.principal_arn, p.principal_kind,
    p.action, p.granted_by, p.via, p.conditions, p.outside, p.public,
    max(u.event_time) AS last_used,
    count(u.event_time) AS calls
  FROM perm p
  LEFT JOIN used u
    ON u.resource_arn = p.resource_arn
    AND (u.action = p.action OR (u.action = 'kms:ReEncrypt' AND p.action IN ('kms:ReEncryptFrom', 'kms:ReEncryptTo')))
    AND (u.identity_arn = p.principal_arn OR (p.principal_kind = 'root' AND u.identity_account = split_part(p.principal_arn, ':', 5)))
  GROUP BY
    p.resource_arn, p.resource_type, p.account, p.principal_arn, p.principal_kind,
    p.action, p.granted_by, p.via, p.conditions, p.outside, p.public
),
unmatched AS (
  SELECT
    u.resource_arn,
    CASE split_part(u.resource_arn, ':', 3) WHEN 'secretsmanager' THEN 'secret' ELSE 'key' END AS resource_type,
    split_part(u.resource_arn, ':', 5) AS account,
    u.identity_arn AS principal_arn,
    '' AS principal_kind,
    u.action,
    '' AS granted_by,
    'not in inventory' AS via,
    '' AS conditions,
    false AS outside,
    false AS public,
    max(u.event_time) AS last_used,
    count(*) AS calls,
    max(u.caller_kind) AS caller_kind
  FROM used u
  WHERE u.resource_arn IN (SELECT arn FROM names)
    -- The actions the inventory evaluates (writing a value is not one).
    AND (u.action = 'secretsmanager:GetSecretValue' OR u.action LIKE 'kms:%')
    AND NOT EXISTS (
      SELECT 1
      FROM perm p
      WHERE p.resource_arn = u.resource_arn
        AND (p.principal_arn = u.identity_arn OR (p.principal_kind = 'root' AND split_part(p.principal_arn, ':', 5) = u.identity_account))
    )
  GROUP BY u.resource_arn, u.identity_arn, u.action
),
all_rows AS (
  SELECT m.*, '' AS caller_kind FROM matched m
  UNION ALL
  SELECT * FROM unmatched
)
SELECT
  n.name AS resource_name,
  x.resource_arn,
  x.resource_type,
  x.account,
  coalesce(json_extract_scalar(n.tags, '$.owner'), json_extract_scalar(n.tags, '$.Owner'), '') AS owner,
  regexp_extract(x.principal_arn, '[^/:]+$') AS principal_name,
  x.principal_arn,
  CASE
    -- The stack's path counts inside the organization only: anyone may
    -- name a role keytrail/... in an account of their own.
    WHEN (x.principal_arn LIKE 'arn:%:iam::%:role/keytrail/%' AND NOT x.outside)
      OR (x.principal_arn <> '' AND strpos(' ' || ? || ' ', ' ' || x.principal_arn || ' ') > 0) THEN 'keytrail'
    WHEN x.principal_kind = 'service' OR x.caller_kind = 'service' THEN 'service'
    WHEN x.principal_kind = 'public' THEN 'public'
    WHEN x.principal_kind = 'root' THEN 'account'
    WHEN x.principal_kind = 'user' OR x.principal_arn LIKE 'arn:%:iam::%:role/aws-reserved/sso.amazonaws.com/%'
      OR x.caller_kind = 'person' THEN 'person'
    ELSE 'workload'
  END AS principal_class,
  x.action,
  x.granted_by,
  x.via,
  x.conditions,
  x.outside,
  x.public,
  x.last_used,
  x.calls
FROM all_rows x
LEFT JOIN names n ON n.arn = x.resource_arn
ORDER BY resource_name, x.resource_arn,
  -- Services and keytrail's own roles apart, after the people and workloads.
  CASE principal_class WHEN 'service' THEN 1 WHEN 'keytrail' THEN 2 ELSE 0 END,
  principal_name, x.principal_arn, x.action, x.granted_by
