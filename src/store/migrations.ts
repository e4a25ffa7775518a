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
  // 2: voucher usage accounting. Totals are bytes; live_sessions holds, per live openNDS session
  // (token), how much of its KiB counters is already in the totals, so a restart continues from
  // there (WITHOUT ROWID: the token is the only key, so a flush writes one b-tree, not two).
  // Foreign keys are not enforced: a trigger forgets a removed voucher's rows. The devices already
  // recorded in vouchers.mac become their voucher's first bound device.
  `CREATE TABLE voucher_usage (
    voucher_id INTEGER PRIMARY KEY,
    download_used INTEGER NOT NULL DEFAULT 0,
    upload_used INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE voucher_devices (
    voucher_id INTEGER NOT NULL,
    mac TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (voucher_id, mac)
  );
  CREATE TABLE live_sessions (
    token TEXT NOT NULL PRIMARY KEY,
    voucher_id INTEGER NOT NULL,
    mac TEXT NOT NULL,
    download_counted_kib INTEGER NOT NULL DEFAULT 0,
    upload_counted_kib INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  INSERT INTO voucher_devices (voucher_id, mac, first_seen)
    SELECT id, upper(mac), coalesce(first_login, created_at) FROM vouchers WHERE mac IS NOT NULL;
  CREATE TRIGGER vouchers_forget_usage AFTER DELETE ON vouchers BEGIN
    DELETE FROM voucher_usage WHERE voucher_id = OLD.id;
    DELETE FROM voucher_devices WHERE voucher_id = OLD.id;
    DELETE FROM live_sessions WHERE voucher_id = OLD.id;
  END;`,
  // 3: the admin panel's voucher list sorts by these columns and pages with LIMIT/OFFSET; an
  // index per column (its entries end in the rowid, so `ORDER BY col, id` walks it in order)
  // answers a page of 100,000 vouchers without sorting them. username has its UNIQUE NOCASE index.
  `CREATE INDEX vouchers_fullname ON vouchers (fullname COLLATE NOCASE);
  CREATE INDEX vouchers_created_at ON vouchers (created_at);
  CREATE INDEX vouchers_valid_from ON vouchers (valid_from);
  CREATE INDEX vouchers_first_login ON vouchers (first_login);
  CREATE INDEX vouchers_last_login ON vouchers (last_login);`,
]
