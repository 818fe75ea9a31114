-- @name review_leavers
-- @description Quarterly review: people (IAM users, IAM Identity Center
-- @description roles) who may use a secret or key and made no call at all
-- @description in the period, failed or not: possible leavers, to confirm.
-- @description Latest inventory of the period.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to from:day to:day from:day to:day from:day to:day
-- An Identity Center role stands for the people of its permission set:
-- none of its sessions made a call. iam_last_used is IAM's own last use of
-- a role (any service, up to 400 days), where IAM knows one.
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
),
-- @with inv perm who
callers AS (
  SELECT DISTINCT coalesce(nullif(ev.session_issuer_arn, ''), ev.principal_arn) AS identity_arn
  FROM ev
)
SELECT
  coalesce(w.name, regexp_extract(p.principal_arn, '[^/:]+$')) AS principal_name,
  p.principal_arn,
  CASE WHEN p.principal_kind = 'user' THEN 'IAM user' ELSE 'Identity Center role' END AS principal_type,
  split_part(p.principal_arn, ':', 5) AS principal_account,
  count(DISTINCT p.resource_arn) AS resources,
  array_join(array_sort(array_agg(DISTINCT p.resource_arn)), ', ') AS resource_arns,
  w.created,
  w.last_used AS iam_last_used
FROM perm p
LEFT JOIN who w ON w.arn = p.principal_arn
WHERE (p.principal_kind = 'user' OR p.principal_arn LIKE 'arn:%:iam::%:role/aws-reserved/sso.amazonaws.com/%')
  AND NOT EXISTS (SELECT 1 FROM callers c WHERE c.identity_arn = p.principal_arn)
GROUP BY w.name, p.principal_arn, p.principal_kind, w.created, w.last_used
ORDER BY principal_name, p.principal_arn
