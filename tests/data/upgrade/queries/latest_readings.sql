SELECT id, station, value FROM readings ORDER BY taken_at DESC LIMIT 20
