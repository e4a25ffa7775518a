/**
 * @module store/migrations
 * The schema, as a list of steps. Step N brings a database from `PRAGMA user_version` N to N+1;
 * a step is never edited once released, only followed by another. Times are INTEGER UTC epoch
 * seconds; usernames and e-mail addresses are unique regardless of case (a phone's keyboard
 * capitalises the first letter). MAC addresses are stored upper case, colon separated.
 */

const guestUserColumns = `
  created_at INTEGER NOT NULL,
  last_login INTEGER,
  mac TEXT,
  visits INTEGER NOT NULL DEFAULT 0,
  comments TEXT,
  comments1 TEXT,
  comments2 TEXT,
  last_modified INTEGER NOT NULL,
  marketing INTEGER NOT NULL DEFAULT 0`

export const MIGRATIONS: readonly string[] = [
  // 1: the seed's tables
  `CREATE TABLE vouchers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    passcode TEXT NOT NULL,
    fullname TEXT NOT NULL,
    valid_for TEXT NOT NULL,
    valid_from INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    first_login INTEGER,
    last_login INTEGER,
    mac TEXT,
    download_limit INTEGER NOT NULL DEFAULT 0,
    upload_limit INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE email_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,${guestUserColumns},
    verified INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE fb_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    facebook_id TEXT NOT NULL UNIQUE,
    name TEXT,
    email TEXT,${guestUserColumns}
  );
  CREATE TABLE mobile_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mobile TEXT NOT NULL UNIQUE,${guestUserColumns},
    verified INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE free_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,${guestUserColumns}
  );
  CREATE UNIQUE INDEX free_users_mac ON free_users (mac);
  CREATE TABLE logins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    method TEXT NOT NULL,
    identity TEXT NOT NULL,
    mac TEXT,
    address TEXT,
    result TEXT NOT NULL
  );
  CREATE INDEX logins_time ON logins (time);`,
]
