-- The help center's category restriction: see the PostgreSQL file.
CREATE TABLE help_settings (
  id INTEGER PRIMARY KEY,
  restricted INTEGER NOT NULL DEFAULT 0,
  categories TEXT NOT NULL DEFAULT '',
  updated_at DATETIME NOT NULL
);
