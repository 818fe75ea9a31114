-- @name review_inventory
-- @description The inventory a review rests on: the coverage rows of the
-- @description latest inventory day of the period (accounts, regions and
-- @description tables read, and what could not be).
-- @param from timestamp Period start, inclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @param to timestamp Period end, exclusive (RFC 3339, or YYYY-MM-DD for midnight UTC).
-- @bind from:day to:day from:day to:day
-- The latest day is picked as the library's review queries pick it.
SELECT c.day, c.account, c.region, c.table_name, c.status, c.error, c.row_count
FROM inventory_coverage c
WHERE c.day >= ? AND c.day < ?
  AND c.day = (
    SELECT max(d.day)
    FROM inventory_coverage d
    WHERE d.day >= ? AND d.day < ?
      AND d.status IN ('ok', 'partial')
  )
ORDER BY c.account, c.region, c.table_name
