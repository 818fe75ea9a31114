-- @name destructive_and_policy
-- @description Deletions, disablements, policy changes and grant changes on
-- @description secrets and keys in a window, attempted or done, oldest first.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.event_name IN (
      'DeleteSecret', 'RemoveRegionsFromReplication', 'StopReplicationToReplica',
      'ScheduleKeyDeletion', 'DisableKey', 'DeleteAlias', 'DeleteImportedKeyMaterial',
      'PutResourcePolicy', 'DeleteResourcePolicy', 'PutKeyPolicy', 'DisableKeyRotation', 'UpdateAlias',
      'CreateGrant', 'RetireGrant', 'RevokeGrant'
    )
)
SELECT
  event_time,
  CASE
    WHEN event_name IN ('CreateGrant', 'RetireGrant', 'RevokeGrant') THEN 'grant'
    WHEN event_name IN ('PutResourcePolicy', 'DeleteResourcePolicy', 'PutKeyPolicy', 'DisableKeyRotation', 'UpdateAlias') THEN 'policy'
    ELSE 'destructive'
  END AS category,
  event_name,
  resource_arn,
  coalesce(nullif(principal_name, ''), regexp_extract(principal_arn, '[^/:]+$')) AS principal_name, principal_arn,
  session_name, failed, error_code,
  source_ip, user_agent, event_id
FROM ev
ORDER BY event_time, event_id
