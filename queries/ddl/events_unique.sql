-- events_unique: the events table with each event once. CloudTrail can
-- deliver an event twice (same eventID, another file) and compaction
-- briefly leaves a merged file next to the small ones; keep the copy from
-- the first object. Partitioning the window by day keeps partition pruning:
-- a filter on day pushes below the window.
CREATE OR REPLACE VIEW events_unique AS
SELECT *
FROM (
  SELECT
    e.*,
    row_number() OVER (PARTITION BY e.day, e.event_id, e.event_name, e.event_time, e.request_id ORDER BY e.source_object, e.source_index) AS dup_rank
  FROM events e
) d
WHERE dup_rank = 1
