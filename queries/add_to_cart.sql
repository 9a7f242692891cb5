-- "Add to cart": one row, checked against the customer and the product it names.
INSERT INTO cart_items (customer_id, product_id, quantity, added_at)
VALUES ($1, $2, 1, now())
