-- @name decrypts_by_context
-- @description KMS Decrypt calls grouped by what the encryption context
-- @description says was decrypted (an S3 object, a Secrets Manager secret, a
-- @description Lambda function, an EBS volume, or the raw context), per key
-- @description and principal.
-- @param key string= ARN of a KMS key; empty means every key.
-- @param from timestamp Window start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Window end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from to key key key
WITH ev AS (
  -- @unique events
  SELECT *
  FROM events e
  WHERE e.day BETWEEN ? AND ?
    AND e.event_time >= ? AND e.event_time < ?
    AND e.event_name = 'Decrypt'
    AND (? = '' OR e.resource_arn = ? OR contains(e.resource_arns, ?))
),
ctx AS (
  SELECT
    ev.*,
    CASE WHEN ev.encryption_context = '' THEN NULL ELSE ev.encryption_context END AS context_json
  FROM ev
),
targets AS (
  SELECT
    ctx.*,
    json_extract_scalar(context_json, '$["aws:s3:arn"]') AS s3_object,
    json_extract_scalar(context_json, '$.SecretARN') AS secret,
    json_extract_scalar(context_json, '$["aws:lambda:FunctionArn"]') AS lambda_function,
    json_extract_scalar(context_json, '$["aws:ebs:id"]') AS ebs_volume
  FROM ctx
)
SELECT
  CASE
    WHEN s3_object IS NOT NULL THEN 's3_object'
    WHEN secret IS NOT NULL THEN 'secret'
    WHEN lambda_function IS NOT NULL THEN 'lambda_function'
    WHEN ebs_volume IS NOT NULL THEN 'ebs_volume'
    WHEN context_json IS NULL THEN 'none'
    ELSE 'other'
  END AS context_kind,
  coalesce(s3_object, secret, lambda_function, ebs_volume, context_json, '') AS context_target,
  resource_arn AS key_arn,
  principal_arn,
  count(*) AS calls,
  sum(CASE WHEN failed THEN 1 ELSE 0 END) AS failures,
  min(event_time) AS first_call,
  max(event_time) AS last_call
FROM targets
GROUP BY 1, 2, 3, 4
ORDER BY calls DESC, context_target, principal_arn
