SELECT p.id, p.name, p.price, c.name FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1;
