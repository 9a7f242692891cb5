-- The cart of a customer, with prices and stock.
SELECT ci.product_id, p.name, p.price, ci.quantity, i.quantity AS in_stock
FROM cart_items ci
JOIN products p ON p.id = ci.product_id
LEFT JOIN inventory i ON i.product_id = ci.product_id
WHERE ci.customer_id = $1
ORDER BY ci.added_at DESC;
