-- @name destructive_and_policy
-- @description Deletions, disablements, policy changes and grant changes on
-- @description secrets and keys in a window, attempted or done, oldest first.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
WITH ev AS (
  -- Each event once: a partition may hold a repeated or not yet compacted
  -- copy. Filtering on day first lets the engine prune partitions.
  SELECT *
  FROM (
    SELECT
      e.*,
      row_number() OVER (PARTITION BY e.day, e.event_id, e.event_name, e.event_time, e.request_id ORDER BY e.source_object, e.source_index) AS dup_rank
    FROM events e
    WHERE e.day BETWEEN ? AND ?
      AND e.event_time >= ? AND e.event_time < ?
  ) d
  WHERE dup_rank = 1
)
SELECT
  event_time,
  CASE
    WHEN event_name IN ('CreateGrant', 'RetireGrant', 'RevokeGrant') THEN 'grant'
    WHEN event_name IN ('PutResourcePolicy', 'DeleteResourcePolicy', 'PutKeyPolicy', 'DisableKeyRotation', 'UpdateAlias') THEN 'policy'
    ELSE 'destructive'
  END AS category,
  event_name, resource_arn, principal_arn, session_name, failed, error_code,
  source_ip, user_agent, event_id
FROM ev
WHERE event_name IN (
  'DeleteSecret', 'RemoveRegionsFromReplication', 'StopReplicationToReplica',
  'ScheduleKeyDeletion', 'DisableKey', 'DeleteAlias', 'DeleteImportedKeyMaterial',
  'PutResourcePolicy', 'DeleteResourcePolicy', 'PutKeyPolicy', 'DisableKeyRotation', 'UpdateAlias',
  'CreateGrant', 'RetireGrant', 'RevokeGrant'
)
ORDER BY event_time, event_id
