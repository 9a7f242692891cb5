-- The owners of one crate with their logins: the read half of `Crate::owner_remove`
-- (crates/crates_io_database/src/models/krate.rs), its `crate_owners_with_login` CTE.
SELECT
    crate_owners.*,
    CASE WHEN crate_owners.owner_kind = 1 THEN
         teams.login
    ELSE
         users.gh_login
    END AS login
FROM crate_owners
LEFT JOIN teams
    ON crate_owners.owner_id = teams.id
    AND crate_owners.owner_kind = 1
LEFT JOIN users
    ON crate_owners.owner_id = users.id
    AND crate_owners.owner_kind = 0
WHERE crate_owners.crate_id = $1
    AND crate_owners.deleted = false
