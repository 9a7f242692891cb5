CREATE TABLE readings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station int NOT NULL,
    sensor int NOT NULL,
    taken_at timestamptz NOT NULL,
    value double precision NOT NULL
);
CREATE INDEX readings_station_sensor_idx ON readings (station, sensor);
-- Written for the servers production ran when it was added; the newer server's deploy
-- skips it.
DO $$
BEGIN
    IF current_setting('server_version_num')::int < 180000 THEN
        CREATE INDEX readings_taken_at_idx ON readings (taken_at);
    END IF;
END
$$;
