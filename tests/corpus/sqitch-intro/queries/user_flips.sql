-- One user's flips, newest first: the columns verify/flips.sql reads, for one nickname.
SELECT id, nickname, body, timestamp
FROM flipr.flips
WHERE nickname = $1
ORDER BY timestamp DESC
LIMIT 50;
