//! A small builder for statements whose WHERE clause depends on filters, and the
//! keyset paging every list uses (`created_at DESC, id DESC`).

use partnerd_domain::time::Timestamp;

/// A bind value.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Time(Timestamp),
}

impl Arg {
    /// Text from anything that reads as a string (ids, names).
    pub fn text(v: impl AsRef<str>) -> Self {
        Self::Text(v.as_ref().to_owned())
    }
}

/// Conditions joined by AND, with their arguments numbered `$1..$n`.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a condition; each `?` in it becomes the next `$n`.
    pub fn and(&mut self, cond: &str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        let mut out = String::with_capacity(cond.len() + 4);
        let mut args = args.into_iter();
        for ch in cond.chars() {
            if ch == '?' {
                if let Some(a) = args.next() {
                    self.args.push(a);
                    out.push_str(&format!("${}", self.args.len()));
                }
            } else {
                out.push(ch);
            }
        }
        self.conds.push(out);
        self
    }

    /// Adds `column = 'value'` for a status enum's name. It is written as a literal
    /// rather than bound, so the planner can see that a partial index's
    /// `WHERE state = 'active'` holds (and SQLite 3.51 fails to plan an OR of two
    /// columns with a bound state at all: "internal query planner error"). Only
    /// names a status enum defines come here; anything else would be bound.
    pub fn state_is(&mut self, column: &str, value: &'static str) -> &mut Self {
        if value.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.and(&format!("{column} = '{value}'"), [])
        } else {
            self.and(&format!("{column} = ?"), [Arg::text(value)])
        }
    }

    /// Adds `column = value` when a value is given (an optional filter of a list).
    pub fn equal_if(&mut self, column: &str, value: Option<impl AsRef<str>>) -> &mut Self {
        if let Some(v) = value {
            self.and(&format!("{column} = ?"), [Arg::text(v)]);
        }
        self
    }

    /// Adds the keyset condition for "older than (created_at, id)".
    pub fn before(&mut self, column: &str, cursor: Option<&Cursor>) -> &mut Self {
        self.before_with(column, "id", cursor)
    }

    /// The same with another id column.
    pub fn before_with(
        &mut self,
        column: &str,
        id_column: &str,
        cursor: Option<&Cursor>,
    ) -> &mut Self {
        if let Some(c) = cursor {
            self.and(
                &format!("({column} < ? OR ({column} = ? AND {id_column} < ?))"),
                [Arg::Time(c.at), Arg::Time(c.at), Arg::Text(c.id.clone())],
            );
        }
        self
    }

    /// A link's status (invitation, relationship request) as readers see it at
    /// `now`: a pending link past `expires_at` is expired whether or not the expiry
    /// job has marked it yet.
    pub fn link_status(&mut self, status: &str, now: Timestamp) -> &mut Self {
        match status {
            "pending" => self.and("status = 'pending' AND expires_at > ?", [Arg::Time(now)]),
            "expired" => self.and(
                "(status = 'expired' OR (status = 'pending' AND expires_at <= ?))",
                [Arg::Time(now)],
            ),
            other => self.and("status = ?", [Arg::Text(other.to_owned())]),
        }
    }

    /// Adds the keyset condition for "newer than (created_at, id)" (oldest-first lists).
    pub fn after(&mut self, column: &str, cursor: Option<&Cursor>) -> &mut Self {
        if let Some(c) = cursor {
            self.and(
                &format!("({column} > ? OR ({column} = ? AND id > ?))"),
                [Arg::Time(c.at), Arg::Time(c.at), Arg::Text(c.id.clone())],
            );
        }
        self
    }

    pub fn where_clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }

    /// The next placeholder number, for appending `LIMIT $n`.
    pub fn next_placeholder(&self) -> usize {
        self.args.len() + 1
    }

    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// The statement with this filter's arguments bound.
    pub fn query(&self, sql: String) -> crate::Query {
        crate::query(sql).bind_all(self.args.iter().map(Arg::value))
    }
}

impl Arg {
    fn value(&self) -> crate::Value {
        match self {
            Arg::Text(s) => crate::Value::Text(Some(s.clone())),
            Arg::Int(i) => crate::Value::Int(Some(*i)),
            Arg::Time(t) => crate::Value::Int(Some(t.millis())),
        }
    }
}

/// Position in a newest-first (or oldest-first) list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: Timestamp,
    /// The sort key of lists ordered by a text column (names).
    pub text: Option<String>,
    pub id: String,
}

/// Which slice of a list to read.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub cursor: Option<Cursor>,
    pub size: i64,
    /// Count the matching rows (first page only).
    pub count: bool,
}

/// A slice of a list: `rows` plus whether more follow.
#[derive(Debug)]
pub struct PageOf<T> {
    pub rows: Vec<T>,
    pub more: bool,
    pub total: Option<i64>,
}

/// Reads one page of `table` newest first by `(time_column, id)`: counts the matches
/// on the first page, then fetches one row more than asked to learn whether more
/// follow. Every list of the store goes through here.
pub async fn newest_first<T>(
    conn: &mut crate::Conn,
    filter: Filter,
    table: &str,
    columns: &str,
    time_column: &str,
    page: &PageRequest,
    read: impl Fn(&crate::Row) -> crate::StoreResult<T>,
) -> crate::StoreResult<PageOf<T>> {
    newest_first_by(conn, filter, table, columns, time_column, "id", page, read).await
}

/// [`newest_first`] for a table whose key column is not called `id`.
#[expect(
    clippy::too_many_arguments,
    reason = "a list query is table, columns, keys, filter, page and reader; a struct would only rename them"
)]
pub async fn newest_first_by<T>(
    conn: &mut crate::Conn,
    mut filter: Filter,
    table: &str,
    columns: &str,
    time_column: &str,
    id_column: &str,
    page: &PageRequest,
    read: impl Fn(&crate::Row) -> crate::StoreResult<T>,
) -> crate::StoreResult<PageOf<T>> {
    let total = if page.count {
        Some(
            filter
                .query(format!(
                    "SELECT COUNT(*) FROM {table}{}",
                    filter.where_clause()
                ))
                .fetch_scalar::<i64>(&mut *conn)
                .await?,
        )
    } else {
        None
    };
    filter.before_with(time_column, id_column, page.cursor.as_ref());
    let sql = format!(
        "SELECT {columns} FROM {table}{} ORDER BY {time_column} DESC, {id_column} DESC LIMIT {}",
        filter.where_clause(),
        page.size + 1
    );
    let rows = filter.query(sql).fetch_all(conn).await?;
    let mut rows = rows
        .iter()
        .map(read)
        .collect::<crate::StoreResult<Vec<_>>>()?;
    let more = rows.len() as i64 > page.size;
    rows.truncate(usize::try_from(page.size).unwrap_or(0));
    Ok(PageOf { rows, more, total })
}

/// Reads one page of `table` ordered by a text column ascending, `id_column` as
/// tie-break (lists sorted by name).
#[expect(
    clippy::too_many_arguments,
    reason = "a list query is table, columns, keys, filter, page and reader; a struct would only rename them"
)]
pub async fn by_text<T>(
    conn: &mut crate::Conn,
    mut filter: Filter,
    table: &str,
    columns: &str,
    text_column: &str,
    id_column: &str,
    page: &PageRequest,
    read: impl Fn(&crate::Row) -> crate::StoreResult<T>,
) -> crate::StoreResult<PageOf<T>> {
    let total = if page.count {
        Some(
            filter
                .query(format!(
                    "SELECT COUNT(*) FROM {table}{}",
                    filter.where_clause()
                ))
                .fetch_scalar::<i64>(&mut *conn)
                .await?,
        )
    } else {
        None
    };
    if let Some(c) = &page.cursor {
        let text = c.text.clone().unwrap_or_default();
        filter.and(
            &format!("({text_column} > ? OR ({text_column} = ? AND {id_column} > ?))"),
            [
                Arg::Text(text.clone()),
                Arg::Text(text),
                Arg::Text(c.id.clone()),
            ],
        );
    }
    let sql = format!(
        "SELECT {columns} FROM {table}{} ORDER BY {text_column}, {id_column} LIMIT {}",
        filter.where_clause(),
        page.size + 1
    );
    let rows = filter.query(sql).fetch_all(conn).await?;
    let mut rows = rows
        .iter()
        .map(read)
        .collect::<crate::StoreResult<Vec<_>>>()?;
    let more = rows.len() as i64 > page.size;
    rows.truncate(usize::try_from(page.size).unwrap_or(0));
    Ok(PageOf { rows, more, total })
}

/// Pending links of `table` past their expiry at `now`, oldest expiry first (the
/// expiry job's work).
pub async fn pending_past_expiry<T>(
    conn: &mut crate::Conn,
    table: &str,
    columns: &str,
    now: Timestamp,
    limit: i64,
    read: impl Fn(&crate::Row) -> crate::StoreResult<T>,
) -> crate::StoreResult<Vec<T>> {
    let rows = crate::query(format!(
        "SELECT {columns} FROM {table} WHERE status = 'pending' AND expires_at <= $1 \
         ORDER BY expires_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(read).collect()
}
