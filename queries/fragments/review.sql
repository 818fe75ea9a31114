-- Named subqueries the review queries share (-- @with NAME…; see
-- queries/fragments.go). They read the latest inventory day of the
-- period, and the period's use (a query's ev: its events, each once).
-- Each inventory read is bounded to the period's days by plain
-- comparisons, which partition projection prunes on, besides picking the
-- day. A query lists these ? in its @bind like its own:
--   inv          from:day to:day
--   aliases      from:day to:day from:day to:day   (needs inv)
--   names        from:day to:day from:day to:day   (needs inv)
--   perm         from:day to:day   (needs inv)
--   who          from:day to:day   (needs inv)
--   used         none              (needs ev, aliases)
WITH ev AS (
  SELECT * FROM events
),
inv AS (
  -- The latest inventory day of the period with a place read.
  SELECT max(c.day) AS day
  FROM inventory_coverage c
  WHERE c.day >= ? AND c.day < ?
    AND c.status IN ('ok', 'partial')
),
aliases AS (
  -- The other ARNs an event may name a resource by, to count its use for
  -- the resource: a key's alias ARNs, and a secret's ARN without the six
  -- characters Secrets Manager appends (a call naming the secret by name
  -- or partial ARN, as cross-account callers must).
  SELECT
    k.arn,
    'arn:' || split_part(k.arn, ':', 2) || ':kms:' || k.region || ':' || k.account || ':' || a.alias AS alias_arn
  FROM inventory_keys k
  CROSS JOIN UNNEST(k.aliases) AS a (alias)
  WHERE k.day >= ? AND k.day < ?
    AND k.day = (SELECT day FROM inv)
  UNION ALL
  SELECT s.arn, regexp_replace(s.arn, '-[A-Za-z0-9]{6}$', '') AS alias_arn
  FROM inventory_secrets s
  WHERE s.day >= ? AND s.day < ?
    AND s.day = (SELECT day FROM inv)
),
names AS (
  -- The name a reader knows a resource by: a secret's, a key's aliases
  -- (key/ID without one, as its ARN names it).
  SELECT s.arn, s.name, s.tags
  FROM inventory_secrets s
  WHERE s.day >= ? AND s.day < ?
    AND s.day = (SELECT day FROM inv)
  UNION ALL
  SELECT k.arn, coalesce(nullif(array_join(k.aliases, ', '), ''), 'key/' || k.key_id) AS name, k.tags
  FROM inventory_keys k
  WHERE k.day >= ? AND k.day < ?
    AND k.day = (SELECT day FROM inv)
),
perm AS (
  SELECT p.*
  FROM inventory_permissions p
  WHERE p.day >= ? AND p.day < ?
    AND p.day = (SELECT day FROM inv)
),
who AS (
  SELECT pr.*
  FROM inventory_principals pr
  WHERE pr.day >= ? AND pr.day < ?
    AND pr.day = (SELECT day FROM inv)
),
used AS (
  -- Each resource an event names, by its inventory ARN; a role
  -- session's use is its role's; the action as policies name it.
  SELECT
    coalesce(al.arn, r.arn) AS resource_arn,
    coalesce(nullif(ev.session_issuer_arn, ''), ev.principal_arn) AS identity_arn,
    ev.principal_account_id AS identity_account,
    ev.caller_kind,
    CASE
      WHEN ev.event_name = 'BatchGetSecretValue' THEN 'secretsmanager:GetSecretValue'
      WHEN ev.event_source = 'secretsmanager.amazonaws.com' THEN 'secretsmanager:' || ev.event_name
      ELSE 'kms:' || ev.event_name
    END AS action,
    ev.event_time
  FROM ev
  CROSS JOIN UNNEST(ev.resource_arns) AS r (arn)
  LEFT JOIN aliases al ON al.alias_arn = r.arn
)
SELECT * FROM used
