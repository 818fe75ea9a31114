-- @name review_weekly
-- @description Quarterly review: use of secrets and keys per week (weeks
-- @description start on Monday, UTC), with failures.
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to
-- "Use" means a data call: reading or writing a secret value, or a
-- cryptographic operation with a key. Describe, List and management calls
-- are not use.
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
  date_format(date_trunc('week', event_time), '%Y-%m-%d') AS week,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures
FROM ev
WHERE event_name IN (
    'GetSecretValue', 'BatchGetSecretValue', 'PutSecretValue',
    'Decrypt', 'Encrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
    'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
    'Sign', 'Verify', 'GenerateMac', 'VerifyMac', 'DeriveSharedSecret'
)
GROUP BY 1
ORDER BY week
