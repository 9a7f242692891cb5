-- The homepage feed: featured first, newest first.
SELECT id, name, price, created_at
FROM products
WHERE active
ORDER BY featured DESC, created_at DESC
LIMIT 20;
