SELECT count(*) FROM readings WHERE sensor = $1
