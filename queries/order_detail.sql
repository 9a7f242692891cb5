-- One order with its lines and product names.
SELECT oi.line_no, oi.product_id, p.name, oi.quantity, oi.unit_price
FROM order_items oi
JOIN products p ON p.id = oi.product_id
WHERE oi.order_id = $1
ORDER BY oi.line_no;
