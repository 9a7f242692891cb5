-- One user's lists: the columns verify/lists.sql reads, for one nickname.
SELECT nickname, name, description, created_at
FROM flipr.lists
WHERE nickname = $1
ORDER BY created_at DESC;
