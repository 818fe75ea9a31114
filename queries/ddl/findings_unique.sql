-- findings_unique: the findings table with each finding once (a finding's
-- id is deterministic, so a retried detector run writes the same id).
CREATE OR REPLACE VIEW findings_unique AS
SELECT *
FROM (
  SELECT
    f.*,
    row_number() OVER (PARTITION BY f.day, f.id ORDER BY f.id) AS dup_rank
  FROM findings f
) d
WHERE dup_rank = 1
