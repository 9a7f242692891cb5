-- The restocking report: products about to run out, scarcest first.
SELECT i.product_id, p.name, i.warehouse, i.quantity
FROM inventory i
JOIN products p ON p.id = i.product_id
WHERE i.quantity < 3 AND p.active
ORDER BY i.quantity, i.product_id
LIMIT 50;
