-- The listing page of a category: featured first, newest first.
SELECT id, name, price, created_at
FROM products
WHERE category_id = $1 AND active
ORDER BY featured DESC, created_at DESC
LIMIT 20;
