/**
 * Scripts that make sure every owning service has its own database, user and password.
 * They run in a companion container on each start rather than as image init scripts,
 * which fire only on an empty volume and would miss services added later. They connect
 * over the pod's local socket or loopback, so no mesh policy has to admit them.
 */

/** Database names become SQL identifiers and environment variable suffixes. */
export function assertDatabaseName(name: string): void {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}" must match [a-z][a-z0-9_]*`);
}

export const postgresProvisionScript = `#!/bin/sh
set -eu
until pg_isready -q -h /var/run/postgresql -U postgres; do sleep 1; done
for db in $DATABASES; do
  eval "password=\\$ROLE_PASSWORD_$db"
  psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U postgres -d postgres -v db="$db" -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'db') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'db') \\gexec
ALTER ROLE :"db" WITH LOGIN PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC;
SQL
  echo "postgres: database $db ready"
done
# Stay up so the pod stays Ready; the work is redone on the next start.
while true; do sleep 3600; done
`;

export const mongoProvisionScript = `#!/bin/sh
set -eu
auth="--quiet -u root -p $MONGO_INITDB_ROOT_PASSWORD --authenticationDatabase admin"
until mongosh $auth --eval 'db.adminCommand("ping")' >/dev/null 2>&1; do sleep 2; done
for db in $DATABASES; do
  eval "export USER_PASSWORD=\\$USER_PASSWORD_$db"
  mongosh $auth "$db" --eval '
    const name = db.getName();
    const pwd = process.env.USER_PASSWORD;
    if (db.getUser(name)) db.updateUser(name, { pwd });
    else db.createUser({ user: name, pwd, roles: [{ role: "readWrite", db: name }] });'
  echo "mongo: database $db ready"
done
while true; do sleep 3600; done
`;
