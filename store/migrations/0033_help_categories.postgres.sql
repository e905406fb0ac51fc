-- The help center's category restriction (kb.Service.PublicCategories): one
-- row (id 1). With restricted set, only articles whose category is one of
-- categories (newline-separated) are public: on /help, in the sitemap, in
-- public suggestions and search, in the widget and in the bot's answers.
CREATE TABLE help_settings (
  id BIGINT PRIMARY KEY,
  restricted BOOLEAN NOT NULL DEFAULT false,
  categories TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMPTZ NOT NULL
);
