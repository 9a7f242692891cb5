-- A blog's migrations, as a Flyway-style folder: applied by version, not by name.
CREATE TABLE users (
    id         bigserial PRIMARY KEY,
    handle     varchar(40) NOT NULL UNIQUE,
    email      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
