"""The knowledge base schema.

Plain SQL so that foreign keys, checks and indexes are visible in one place; the build
(`db/build.py`) executes it on an empty file and fills the tables with sqlite-utils.
"""

SCHEMA_VERSION = 8   # 8: dimensions.heldout_* (the tagger's counts on acts it was not tuned on); 7: provisions.tags_from (tags from the lead-in or heading); 6: provision_indicator_links a table

TABLES = """
CREATE TABLE build_info (
    key TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE dimensions (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_kk TEXT NOT NULL,
    definition TEXT,
    crc_cluster TEXT,
    position INTEGER,
    -- the tagger's tags of this dimension on the gold set's blind part (acts it was not tuned
    -- on; kb/data/tagger_model/heldout.json, build_info.tagger_heldout): provisions the coders
    -- gave it, tags right, tags wrong, provisions missed; null when no figure is for this tagger
    heldout_support INTEGER,
    heldout_right INTEGER,
    heldout_wrong INTEGER,
    heldout_missed INTEGER
);

CREATE TABLE age_groups (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT,
    min_months INTEGER,
    max_months INTEGER,
    kind TEXT NOT NULL DEFAULT 'band',   -- band | moda
    note TEXT,
    position INTEGER
);

CREATE TABLE flags (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT
);

CREATE TABLE acts (
    id TEXT PRIMARY KEY,                 -- Adilet registration number (НГР), e.g. Z020000345_
    title TEXT NOT NULL,                 -- Russian title
    title_kk TEXT,
    title_en TEXT,
    form TEXT,                           -- Закон, Кодекс, Указ, Постановление, Приказ …
    number TEXT,
    date_adopted TEXT,                   -- ISO date
    year INTEGER,
    issuing_body TEXT,
    status TEXT NOT NULL CHECK (status IN ('in_force', 'repealed')),
    status_raw TEXT,
    requisites TEXT,
    repeal_note TEXT,
    registration_number TEXT,
    registration_date TEXT,
    url TEXT NOT NULL,                   -- canonical https://adilet.zan.kz/rus/docs/{id}
    source_url TEXT,                     -- where the bytes actually came from
    retrieved_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    as_of TEXT,
    legal_force TEXT,                    -- from the /info page
    date_changed TEXT,                   -- from the /info page: last amendment
    territory TEXT,                      -- from the /info page
    child_related INTEGER NOT NULL DEFAULT 0,  -- computed: 1 when any provision is tagged
    child_provisions INTEGER NOT NULL DEFAULT 0,  -- provisions with a dimension
    child_share REAL,                    -- child_provisions / provisions with text
    child_dimensions TEXT,               -- JSON {dimension code: provisions}, computed
    provision_count INTEGER NOT NULL DEFAULT 0,
    edition_date TEXT,                   -- the text is current to this date (ISO)
    edition_source TEXT,                 -- how edition_date was found
    metadata_sources TEXT,               -- JSON {field: where the value came from}
    pdf_edition TEXT,                    -- edition date of the official PDF checked against
    pdf_check TEXT,                      -- summary of the article-by-article PDF comparison
    source_kind TEXT NOT NULL DEFAULT 'adilet_page'
        CHECK (source_kind IN ('adilet_page', 'adilet_text', 'statutory_text')),
    source_note TEXT                     -- provenance of a text: origin, how obtained
);

CREATE TABLE act_texts (
    act_id TEXT NOT NULL REFERENCES acts(id),
    lang TEXT NOT NULL CHECK (lang IN ('rus', 'kaz', 'eng')),
    title TEXT,
    requisites TEXT,
    status_raw TEXT,
    url TEXT NOT NULL,
    source_url TEXT,
    retrieved_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    inputs_digest TEXT NOT NULL,         -- page + /info + /history hashes: decides reuse on rebuild
    PRIMARY KEY (act_id, lang)
);

CREATE TABLE act_versions (
    id INTEGER PRIMARY KEY,
    act_id TEXT NOT NULL REFERENCES acts(id),
    date TEXT,                           -- ISO date the version took effect
    amending_act TEXT,                   -- requisites of the act that made this version
    amending_act_id TEXT,
    archive_url TEXT,                    -- the point-in-time text of this version
    is_current INTEGER NOT NULL DEFAULT 0,
    url TEXT NOT NULL,                   -- the /history page it was read from
    retrieved_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL
);

CREATE TABLE provisions (
    id TEXT PRIMARY KEY,                 -- {act_id}-{slug} (kb/provision_ids.py)
    act_id TEXT NOT NULL REFERENCES acts(id),
    slug TEXT NOT NULL,                  -- art31-p1-sp2: from structure numbers, any source
    anchor TEXT,                         -- Adilet zN; NULL for a statutory text (no anchors)
    anchor_inherited INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL CHECK (kind IN ('section', 'chapter', 'article', 'part', 'subpart', 'paragraph')),
    number TEXT,
    heading TEXT,
    text TEXT,
    text_lemmas TEXT,                    -- lemmatised text, for morphology-aware search
    path TEXT,                           -- «ст. 16-1 п. 2 пп. 3)»
    parent_id TEXT REFERENCES provisions(id),
    position INTEGER NOT NULL,
    depth INTEGER NOT NULL DEFAULT 0,
    excluded INTEGER NOT NULL DEFAULT 0,
    url TEXT NOT NULL,                   -- canonical deep link …#zN (statutory text: the act's URL)
    retrieved_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,        -- sha256 of the raw page (or text file) the text came from
    text_sha256 TEXT,                    -- sha256 of the provision text itself
    act_form TEXT,                       -- copies of the act's columns, so that the
    act_status TEXT,                     -- provisions table can be faceted and filtered
    act_year INTEGER,                    -- by them (Datasette facets one table)
    act_issuing_body TEXT,
    primary_dimension TEXT REFERENCES dimensions(code),
    dimension_codes TEXT,                -- JSON array, for facets
    age_min_months INTEGER,
    age_max_months INTEGER,
    age_group_codes TEXT,                -- JSON array, for facets
    age_evidence TEXT,                   -- JSON array
    flag_codes TEXT,                     -- JSON array
    tags_from TEXT REFERENCES provisions(id),  -- the lead-in or article whose tags these are
                                         -- (kb/tagging/context.py); NULL: the text's own
    pdf_check TEXT                       -- match | differs | missing_in_pdf (its article's)
);

CREATE TABLE provision_texts (
    provision_id TEXT REFERENCES provisions(id),   -- the aligned Russian provision (NULL: unaligned)
    act_id TEXT NOT NULL REFERENCES acts(id),
    lang TEXT NOT NULL CHECK (lang IN ('kaz', 'eng')),
    anchor TEXT NOT NULL,                -- the page's zN, or the slug where the source has none
    slug TEXT,
    kind TEXT,
    number TEXT,
    heading TEXT,
    text TEXT,
    excluded INTEGER NOT NULL DEFAULT 0,
    url TEXT NOT NULL,
    retrieved_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    PRIMARY KEY (act_id, lang, anchor)
);

CREATE TABLE amendments (
    id INTEGER PRIMARY KEY,
    act_id TEXT NOT NULL REFERENCES acts(id),
    provision_id TEXT REFERENCES provisions(id),   -- NULL: a note on the whole act
    lang TEXT NOT NULL DEFAULT 'rus',
    action TEXT,                         -- amended | new_wording | added | excluded | repealed | note | reference
    note_kind TEXT,                      -- footnote | editor_note | reference | exclusion
    amending_form TEXT,
    amending_date TEXT,
    amending_number TEXT,
    amending_act_id TEXT,
    what TEXT,
    entry_into_force TEXT,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    retrieved_at TEXT NOT NULL
);

CREATE TABLE provision_dimensions (
    provision_id TEXT NOT NULL REFERENCES provisions(id),
    dimension_code TEXT NOT NULL REFERENCES dimensions(code),
    score REAL NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0,
    evidence TEXT,                       -- JSON array of matched phrases
    method TEXT NOT NULL,                -- rules-ru@rules-12: the tagger on the text;
                                         -- inherited@rules-12: from provisions.tags_from
    PRIMARY KEY (provision_id, dimension_code)
);

CREATE TABLE provision_age_groups (
    provision_id TEXT NOT NULL REFERENCES provisions(id),
    age_group_code TEXT NOT NULL REFERENCES age_groups(code),
    PRIMARY KEY (provision_id, age_group_code)
);

CREATE TABLE pdf_spans (
    pdf_sha256 TEXT NOT NULL,            -- the official PDF read
    article TEXT NOT NULL,               -- article number
    position INTEGER NOT NULL,           -- order in the PDF
    text TEXT NOT NULL,                  -- everything printed under the article's heading
    PRIMARY KEY (pdf_sha256, article)
);

CREATE TABLE pdf_checks (
    id INTEGER PRIMARY KEY,
    act_id TEXT NOT NULL REFERENCES acts(id),
    article TEXT NOT NULL,               -- article number («16-1»)
    provision_id TEXT REFERENCES provisions(id),
    status TEXT NOT NULL CHECK (status IN ('match', 'differs', 'missing_in_pdf', 'missing_in_text')),
    similarity REAL,                     -- 0..1 of the normalised texts
    detail TEXT,                         -- the first differing words, for a reader to check
    pdf_file TEXT NOT NULL,
    pdf_edition TEXT,                    -- ISO date from the PDF's file name
    pdf_sha256 TEXT NOT NULL
);

-- Child-side indexes of the foreign keys to provisions, created with the tables: a multi-row
-- INSERT … SELECT into provisions (copying an unchanged act) makes SQLite look up child rows for
-- every parent row, which without these is a scan of each child table per row.
CREATE INDEX idx_provisions_parent ON provisions(parent_id);
-- a child key needs its index: copying an act's rows (INSERT … SELECT) makes SQLite look up
-- each new row's children, a scan of the whole table per row without it
CREATE INDEX idx_provisions_tags_from ON provisions(tags_from);
CREATE INDEX idx_provision_texts_provision ON provision_texts(provision_id);
CREATE INDEX idx_amendments_provision ON amendments(provision_id);
CREATE INDEX idx_pdf_checks_provision ON pdf_checks(provision_id);

CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    final_url TEXT,
    act_id TEXT,
    lang TEXT,
    kind TEXT,                           -- document | info | history | search | indicator | corpus
    status INTEGER,
    ok INTEGER NOT NULL,
    error TEXT,
    sha256 TEXT,
    retrieved_at TEXT NOT NULL,
    source TEXT                          -- live | corpus
);

CREATE TABLE build_failures (
    id INTEGER PRIMARY KEY,
    stage TEXT NOT NULL,                 -- fetch | parse | tag | import
    item TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE areas (
    code TEXT PRIMARY KEY,               -- ISO3 for the country, KATO for regions
    kato TEXT,
    iso3 TEXT,
    level TEXT NOT NULL,                 -- country | region | city
    name_en TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_kk TEXT,
    aliases TEXT                         -- JSON array of other spellings seen in sources
);

CREATE TABLE indicators (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_ru TEXT,
    unit TEXT,
    source TEXT NOT NULL,
    sdg_code TEXT,
    dimension_code TEXT NOT NULL REFERENCES dimensions(code),
    age_min_months INTEGER,
    age_max_months INTEGER,
    age_group_codes TEXT,                -- JSON array derived from the interval
    moda_group TEXT,
    higher_is_worse INTEGER,             -- 1: a deprivation measure (mortality), 0: coverage
    description TEXT
);

CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    indicator_code TEXT NOT NULL REFERENCES indicators(code),
    area_code TEXT NOT NULL REFERENCES areas(code),
    sex TEXT NOT NULL DEFAULT '_T',      -- _T | F | M
    residence TEXT NOT NULL DEFAULT '_T',-- _T | U | R
    wealth_quintile TEXT NOT NULL DEFAULT '_T',
    age TEXT NOT NULL DEFAULT '_T',
    period TEXT NOT NULL,                -- year (2020) or period (2019-06, 2021/22)
    year INTEGER,
    value REAL NOT NULL,
    value_raw TEXT NOT NULL,
    lower_bound REAL,
    upper_bound REAL,
    unit TEXT,
    obs_status TEXT,
    data_source TEXT,
    source TEXT NOT NULL,                -- importer name: unicef_sdmx, worldbank, sowc2023 …
    source_file TEXT,
    source_url TEXT NOT NULL,
    retrieved_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    UNIQUE (indicator_code, area_code, sex, residence, wealth_quintile, age, period, source)
);

-- Filled at build time by db/links.py (the rule: kb/indicator_links.py, docs/architecture.md): a
-- provision and an indicator share a dimension, their ages overlap and a topic cue of the
-- indicator (kb/data/indicators.yml) is in the provision's text; each row says why.
CREATE TABLE provision_indicator_links (
    provision_id TEXT NOT NULL REFERENCES provisions(id),
    act_id TEXT NOT NULL REFERENCES acts(id),
    indicator_code TEXT NOT NULL REFERENCES indicators(code),
    dimension_code TEXT NOT NULL REFERENCES dimensions(code),
    is_primary INTEGER NOT NULL,         -- 1: the provision's primary dimension
    shared_age_min_months INTEGER,       -- the ages both cover (NULL: both are pregnancy/birth)
    shared_age_max_months INTEGER,
    relevance REAL NOT NULL,             -- 0..1, higher = more relevant
    matched_cues TEXT NOT NULL,          -- JSON array: the indicator's cues found
    matched_words TEXT NOT NULL,         -- JSON array: the words they found
    cue_in_context INTEGER NOT NULL DEFAULT 0,  -- 1: found only in the article heading or lead-in
    reason TEXT NOT NULL,                -- why, in Russian
    PRIMARY KEY (provision_id, indicator_code)
);
"""

INDEXES = """
CREATE INDEX idx_acts_status ON acts(status);
CREATE INDEX idx_acts_form ON acts(form);
CREATE INDEX idx_acts_year ON acts(year);
CREATE INDEX idx_acts_issuing_body ON acts(issuing_body);
CREATE INDEX idx_act_versions_act ON act_versions(act_id, date);
-- made by the policies stage already (db/policies.py reads one act at a time)
CREATE INDEX IF NOT EXISTS idx_provisions_act ON provisions(act_id, position);
CREATE UNIQUE INDEX idx_provisions_slug ON provisions(act_id, slug);
CREATE INDEX idx_pdf_checks_act ON pdf_checks(act_id, status);
CREATE INDEX idx_provisions_kind ON provisions(kind);
CREATE INDEX idx_provisions_act_status ON provisions(act_status);
CREATE INDEX idx_provisions_primary_dimension ON provisions(primary_dimension);
-- what applies at an age (kb/web /age, at_age): the range on the bounds, and what ranks and
-- groups the matches, read from the index alone; the rows shown are fetched by rowid after
CREATE INDEX idx_provisions_age ON provisions(age_min_months, age_max_months, excluded,
                                              primary_dimension, act_id, position);
CREATE INDEX idx_amendments_act ON amendments(act_id);
-- with the provision id, so `id in (select provision_id … where code = ?)` (the array filters of
-- /kb/provisions through the tag tables) reads the index alone: at a million provisions one
-- age band is 42,000 ids, each a look-up of the table's row before (issue 11: 105 → 30 ms a query)
CREATE INDEX idx_provision_dimensions_code ON provision_dimensions(dimension_code, is_primary,
                                                                   provision_id);
CREATE INDEX idx_provision_age_groups_code ON provision_age_groups(age_group_code, provision_id);
CREATE INDEX idx_fetch_log_act ON fetch_log(act_id);
CREATE INDEX idx_observations_indicator ON observations(indicator_code, area_code, year);
CREATE INDEX idx_indicators_dimension ON indicators(dimension_code);
-- an indicator's provisions, most relevant first (the indicator page)
CREATE INDEX idx_provision_indicator_links_indicator ON provision_indicator_links(indicator_code, relevance);
CREATE INDEX idx_provision_indicator_links_act ON provision_indicator_links(act_id);
-- Every faceted, filtered or sorted column of a table that grows with the corpus (issue 11:
-- a facet is a GROUP BY; with an index it reads the index, not the table).
CREATE INDEX idx_provisions_act_form ON provisions(act_form);
CREATE INDEX idx_provisions_act_issuing_body ON provisions(act_issuing_body);
CREATE INDEX idx_provisions_act_year ON provisions(act_year);
CREATE INDEX idx_provision_texts_lang ON provision_texts(lang);
CREATE INDEX idx_amendments_action ON amendments(action);
CREATE INDEX idx_amendments_amending_form ON amendments(amending_form);
CREATE INDEX idx_amendments_amending_date ON amendments(amending_date);
CREATE INDEX idx_provision_dimensions_primary ON provision_dimensions(is_primary);
CREATE INDEX idx_provision_dimensions_method ON provision_dimensions(method);
-- The default facets and the order of provisions beside the id: a page filtered through a tag
-- table (`?age_group_codes__arraycontains=` is answered as `id in (select provision_id …)`,
-- kb/security.py) counts each facet from this index, and the canned query by_dimension_age
-- ranks its matches from it, instead of reading every matching provision's row (issue 11:
-- 44,000 row reads per facet for one age band at a million provisions).
CREATE INDEX idx_provisions_id_facets ON provisions(id, primary_dimension, act_status, act_form,
                                                    kind, excluded, act_id, position);
-- The planner's estimates, written rather than measured: one row per id in both indexes that
-- start with it, so it takes the covering one above (without statistics it prefers the unique
-- autoindex and reads the row). 1048576 rows is SQLite's default table estimate, so no other
-- plan changes; sqlite_stat1 is created empty by analysing the schema table alone.
ANALYZE sqlite_master;
DELETE FROM sqlite_stat1 WHERE tbl = 'provisions';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('provisions', 'sqlite_autoindex_provisions_1', '1048576 1'),
    ('provisions', 'idx_provisions_id_facets', '1048576 1 1 1 1 1 1 1 1');
"""
