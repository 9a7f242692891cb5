-- A customer cancels an order that has not been paid yet.
UPDATE orders SET status = 'cancelled'
WHERE id = $1 AND status = 'pending'
RETURNING id, total
