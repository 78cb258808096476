//! Statements written once, run on either backend with native values.
//!
//! A [`Query`] is portable SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`) plus
//! its bound [`Value`]s; running it on a [`Conn`] binds each value with the concrete
//! driver's own encoding. A [`Row`] reads columns into any [`Stored`] type: the
//! driver's primitives, and the domain's ids, states and times, which say how they
//! are kept (text, integer) and refuse a stored value they do not know
//! ([`StoreError::Corrupt`]) instead of falling back to a default.
//!
//! Why this and not a query builder: every statement of the store was already
//! portable SQL, so building them anew would change 150 statements to gain nothing;
//! what the `Any` driver lacked was native types and typed rows, which this gives
//! through traits the store owns (so domain types need no sqlx).

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Postgres, Row as _, Sqlite};

use crate::db::{Conn, Inner};
use crate::{StoreError, StoreResult};

/// A value bound to a placeholder. Nulls carry their type, as PostgreSQL needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
}

/// Anything that can be bound: the driver's primitives and the domain's types.
pub trait ToValue {
    /// The typed null of this kind of value (for `Option::None`).
    const NULL: Value;
    fn to_value(&self) -> Value;
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.to_owned()))
    }
    const NULL: Value = Value::Text(None);
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.clone()))
    }
    const NULL: Value = Value::Text(None);
}

impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(Some(*self))
    }
    const NULL: Value = Value::Int(None);
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(Some(*self))
    }
    const NULL: Value = Value::Bool(None);
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
    const NULL: Value = Value::Text(None);
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => T::NULL,
        }
    }
    const NULL: Value = T::NULL;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
    const NULL: Value = T::NULL;
}

impl ToValue for partnerd_domain::time::Timestamp {
    fn to_value(&self) -> Value {
        Value::Int(Some(self.millis()))
    }
    const NULL: Value = Value::Int(None);
}

/// A portable statement and its arguments.
#[derive(Debug, Clone)]
pub struct Query {
    sql: String,
    args: Vec<Value>,
}

/// Starts a statement.
pub fn query(sql: impl Into<String>) -> Query {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

/// What a write reports back.
#[derive(Debug, Clone, Copy)]
pub struct Done(u64);

impl Done {
    pub fn rows_affected(self) -> u64 {
        self.0
    }
}

/// The bound values as one backend's arguments; the same three kinds on both.
fn arguments<A>(args: &[Value]) -> StoreResult<A>
where
    A: sqlx::Arguments,
    for<'q> Option<String>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    for<'q> Option<i64>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    for<'q> Option<bool>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
{
    let mut out = A::default();
    for a in args {
        let r = match a {
            Value::Text(v) => out.add(v.clone()),
            Value::Int(v) => out.add(*v),
            Value::Bool(v) => out.add(*v),
        };
        r.map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))?;
    }
    Ok(out)
}

macro_rules! run {
    ($self:ident, $conn:ident, $method:ident, |$r:ident| $sqlite:expr, $postgres:expr) => {{
        let Query { sql, args } = $self;
        let sql = AssertSqlSafe(sql);
        match &mut $conn.0 {
            Inner::Sqlite(c) => {
                let $r = sqlx::query_with::<Sqlite, _>(sql, arguments::<SqliteArguments>(&args)?)
                    .$method(&mut **c)
                    .await?;
                $sqlite
            }
            Inner::SqliteTx(c) => {
                let $r = sqlx::query_with::<Sqlite, _>(sql, arguments::<SqliteArguments>(&args)?)
                    .$method(&mut **c)
                    .await?;
                $sqlite
            }
            Inner::Postgres(c) => {
                let $r = sqlx::query_with::<Postgres, _>(sql, arguments::<PgArguments>(&args)?)
                    .$method(&mut **c)
                    .await?;
                $postgres
            }
            Inner::PostgresTx(c) => {
                let $r = sqlx::query_with::<Postgres, _>(sql, arguments::<PgArguments>(&args)?)
                    .$method(&mut **c)
                    .await?;
                $postgres
            }
        }
    }};
}

fn wrap_sqlite(r: SqliteRow) -> Row {
    Row(RowInner::Sqlite(r))
}

fn wrap_pg(r: PgRow) -> Row {
    Row(RowInner::Postgres(r))
}

impl Query {
    /// Binds the next `$n`.
    pub fn bind(mut self, v: impl ToValue) -> Self {
        self.args.push(v.to_value());
        self
    }

    /// Binds a list of values in order.
    pub fn bind_all(mut self, vs: impl IntoIterator<Item = Value>) -> Self {
        self.args.extend(vs);
        self
    }

    pub async fn execute(self, conn: &mut Conn) -> StoreResult<Done> {
        Ok(Done(run!(
            self,
            conn,
            execute,
            |r| r.rows_affected(),
            r.rows_affected()
        )))
    }

    pub async fn fetch_all(self, conn: &mut Conn) -> StoreResult<Vec<Row>> {
        Ok(run!(
            self,
            conn,
            fetch_all,
            |r| r.into_iter().map(wrap_sqlite).collect(),
            r.into_iter().map(wrap_pg).collect()
        ))
    }

    pub async fn fetch_optional(self, conn: &mut Conn) -> StoreResult<Option<Row>> {
        Ok(run!(
            self,
            conn,
            fetch_optional,
            |r| r.map(wrap_sqlite),
            r.map(wrap_pg)
        ))
    }

    pub async fn fetch_one(self, conn: &mut Conn) -> StoreResult<Row> {
        Ok(run!(self, conn, fetch_one, |r| wrap_sqlite(r), wrap_pg(r)))
    }

    /// The first column of the one row.
    pub async fn fetch_scalar<T: Stored>(self, conn: &mut Conn) -> StoreResult<T> {
        self.fetch_one(conn).await?.get_index(0usize)
    }

    /// The first column of the row, if there is one.
    pub async fn fetch_optional_scalar<T: Stored>(self, conn: &mut Conn) -> StoreResult<Option<T>> {
        self.fetch_optional(conn)
            .await?
            .map(|r| r.get_index(0usize))
            .transpose()
    }

    /// The first column of every row.
    pub async fn fetch_all_scalar<T: Stored>(self, conn: &mut Conn) -> StoreResult<Vec<T>> {
        self.fetch_all(conn)
            .await?
            .iter()
            .map(|r| r.get_index(0usize))
            .collect()
    }
}

/// A result row of either backend.
#[derive(Debug)]
pub struct Row(RowInner);

#[derive(Debug)]
enum RowInner {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// A column index: a name or a position.
pub trait Index:
    sqlx::ColumnIndex<SqliteRow> + sqlx::ColumnIndex<PgRow> + std::fmt::Display
{
}
impl Index for &str {}
impl Index for usize {}

impl Row {
    /// Reads column `name` as `T`.
    pub fn try_get<T: Stored>(&self, name: &str) -> StoreResult<T> {
        self.get_index(name)
    }

    /// Reads an amount kept in two columns: minor units and the currency's code.
    pub fn money(&self, minor: &str, currency: &str) -> StoreResult<partnerd_domain::money::Money> {
        Ok(partnerd_domain::money::Money::new(
            self.try_get(minor)?,
            self.try_get(currency)?,
        ))
    }

    /// Like [`Row::money`], for an amount that may be absent (its currency is not).
    pub fn optional_money(
        &self,
        minor: &str,
        currency: &str,
    ) -> StoreResult<Option<partnerd_domain::money::Money>> {
        let amount: Option<i64> = self.try_get(minor)?;
        let currency = self.try_get(currency)?;
        Ok(amount.map(|m| partnerd_domain::money::Money::new(m, currency)))
    }

    /// Reads a column by name or position.
    pub fn get_index<T: Stored, I: Index + Copy>(&self, index: I) -> StoreResult<T> {
        let raw = match &self.0 {
            RowInner::Sqlite(r) => T::Raw::sqlite(r, index)?,
            RowInner::Postgres(r) => T::Raw::postgres(r, index)?,
        };
        T::from_stored(raw).map_err(|e| StoreError::Corrupt(format!("column {index}: {e}")))
    }
}

/// A value the drivers read natively.
pub trait Primitive: Sized {
    fn sqlite<I: Index>(row: &SqliteRow, index: I) -> Result<Self, sqlx::Error>;
    fn postgres<I: Index>(row: &PgRow, index: I) -> Result<Self, sqlx::Error>;
}

macro_rules! primitive {
    ($($t:ty),*) => {$(
        impl Primitive for $t {
            fn sqlite<I: Index>(row: &SqliteRow, index: I) -> Result<Self, sqlx::Error> {
                row.try_get(index)
            }
            fn postgres<I: Index>(row: &PgRow, index: I) -> Result<Self, sqlx::Error> {
                row.try_get(index)
            }
        }
    )*};
}

primitive!(String, Option<String>, i64, Option<i64>, bool, Option<bool>);

/// A type kept in one column: how it is stored and how it is read back.
pub trait Stored: Sized {
    type Raw: Primitive;
    /// Converts the stored value; an unknown value is an error, never a default.
    fn from_stored(raw: Self::Raw) -> Result<Self, String>;
}

macro_rules! stored_as_itself {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            type Raw = $t;
            fn from_stored(raw: $t) -> Result<Self, String> {
                Ok(raw)
            }
        }
    )*};
}

stored_as_itself!(String, Option<String>, i64, Option<i64>, bool, Option<bool>);

impl Stored for partnerd_domain::time::Timestamp {
    type Raw = i64;
    fn from_stored(raw: i64) -> Result<Self, String> {
        Ok(Self(raw))
    }
}

impl Stored for Option<partnerd_domain::time::Timestamp> {
    type Raw = Option<i64>;
    fn from_stored(raw: Option<i64>) -> Result<Self, String> {
        Ok(raw.map(partnerd_domain::time::Timestamp))
    }
}

/// A UTC day, kept as its `YYYY-MM-DD` text (which sorts as days do).
impl ToValue for partnerd_domain::calendar::Date {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.to_string()))
    }
    const NULL: Value = Value::Text(None);
}

impl Stored for partnerd_domain::calendar::Date {
    type Raw = String;
    fn from_stored(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("'{raw}' is not a date"))
    }
}

impl Stored for Option<partnerd_domain::calendar::Date> {
    type Raw = Option<String>;
    fn from_stored(raw: Option<String>) -> Result<Self, String> {
        raw.map(partnerd_domain::calendar::Date::from_stored)
            .transpose()
    }
}

/// Statuses are kept as their contract names; a name the enum does not know is a
/// corrupt row.
macro_rules! stored_as_name {
    ($($t:ident),* $(,)?) => {$(
        impl ToValue for partnerd_domain::states::$t {
            fn to_value(&self) -> Value {
                Value::Text(Some(self.as_str().to_owned()))
            }
            const NULL: Value = Value::Text(None);
        }

        impl Stored for partnerd_domain::states::$t {
            type Raw = String;
            fn from_stored(raw: String) -> Result<Self, String> {
                Self::parse(&raw).map_err(|e| e.to_string())
            }
        }

        impl Stored for Option<partnerd_domain::states::$t> {
            type Raw = Option<String>;
            fn from_stored(raw: Option<String>) -> Result<Self, String> {
                raw.map(|r| partnerd_domain::states::$t::parse(&r).map_err(|e| e.to_string()))
                    .transpose()
            }
        }
    )*};
}

stored_as_name!(
    EnrollmentStatus,
    ResellerInvitationStatus,
    ResellerRelationshipStatus,
    RelationshipRequestStatus,
    CustomerRelationshipStatus,
    DelegatedAdminStatus,
    OrderStatus,
    SubscriptionStatus,
    ServiceRequestStatus,
    ServiceIncidentStatus,
    WebhookDeliveryStatus,
    OutboxStatus,
    OfferStatus,
    OperationStatus,
);

/// A user's or API key's roles, kept comma separated; a name the release does not
/// know makes the row corrupt.
impl ToValue for partnerd_domain::Roles {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.to_stored()))
    }
    const NULL: Value = Value::Text(None);
}

impl Stored for partnerd_domain::Roles {
    type Raw = String;
    fn from_stored(raw: String) -> Result<Self, String> {
        Self::from_stored(&raw).map_err(|e| e.to_string())
    }
}

/// A currency, kept as its ISO 4217 code; a code that is not three capital letters
/// makes the row corrupt.
impl ToValue for partnerd_domain::money::Currency {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.as_str().to_owned()))
    }
    const NULL: Value = Value::Text(None);
}

impl Stored for partnerd_domain::money::Currency {
    type Raw = String;
    fn from_stored(raw: String) -> Result<Self, String> {
        Self::parse(&raw).map_err(|e| e.to_string())
    }
}

/// An organisation's kind, kept by name; an unknown name makes the row corrupt.
impl ToValue for partnerd_domain::OrgKind {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.as_str().to_owned()))
    }
    const NULL: Value = Value::Text(None);
}

impl Stored for partnerd_domain::OrgKind {
    type Raw = String;
    fn from_stored(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("unknown organisation kind '{raw}'"))
    }
}

/// An organisation's programmes, kept comma separated; an unknown name makes the row
/// corrupt.
impl ToValue for Vec<partnerd_domain::Program> {
    fn to_value(&self) -> Value {
        Value::Text(Some(partnerd_domain::roles::programs_to_stored(self)))
    }
    const NULL: Value = Value::Text(None);
}

impl Stored for Vec<partnerd_domain::Program> {
    type Raw = String;
    fn from_stored(raw: String) -> Result<Self, String> {
        partnerd_domain::roles::programs_from_stored(&raw).map_err(|e| e.to_string())
    }
}

/// Ids are opaque text; any stored string is a valid id of its kind.
macro_rules! stored_as_id {
    ($($t:ident),* $(,)?) => {$(
        impl ToValue for partnerd_domain::ids::$t {
            fn to_value(&self) -> Value {
                Value::Text(Some(self.as_str().to_owned()))
            }
            const NULL: Value = Value::Text(None);
        }

        impl Stored for partnerd_domain::ids::$t {
            type Raw = String;
            fn from_stored(raw: String) -> Result<Self, String> {
                Ok(Self::from_raw(raw))
            }
        }

        impl Stored for Option<partnerd_domain::ids::$t> {
            type Raw = Option<String>;
            fn from_stored(raw: Option<String>) -> Result<Self, String> {
                Ok(raw.map(partnerd_domain::ids::$t::from_raw))
            }
        }
    )*};
}

stored_as_id!(
    OrgId,
    UserId,
    SessionId,
    ApiKeyId,
    AuditRecordId,
    OutboxId,
    EnrollmentId,
    ResellerInvitationId,
    ResellerRelationshipId,
    RelationshipRequestId,
    CustomerRelationshipId,
    DelegatedAdminId,
    RegistryAccountId,
    OrderId,
    SubscriptionId,
    SubscriptionChangeId,
    WebhookId,
    DeliveryId,
    EventId,
    ServiceRequestId,
    ServiceRequestNoteId,
    IncidentId,
    IncidentUpdateId,
    RepricingConfigId,
    ChargeLineId,
    BillingRunId,
    InvoiceId,
    PaymentId,
);

/// A calendar month, kept as its `YYYY-MM` text.
impl ToValue for partnerd_domain::calendar::Month {
    fn to_value(&self) -> Value {
        Value::Text(Some(self.to_string()))
    }
    const NULL: Value = Value::Text(None);
}

impl Stored for partnerd_domain::calendar::Month {
    type Raw = String;
    fn from_stored(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| format!("'{raw}' is not a month"))
    }
}

/// The ledger's names, kept as the contract spells them.
macro_rules! stored_as_ledger_name {
    ($($t:ident),* $(,)?) => {$(
        impl ToValue for partnerd_domain::ledger::$t {
            fn to_value(&self) -> Value {
                Value::Text(Some(self.as_str().to_owned()))
            }
            const NULL: Value = Value::Text(None);
        }

        impl Stored for partnerd_domain::ledger::$t {
            type Raw = String;
            fn from_stored(raw: String) -> Result<Self, String> {
                Self::parse(&raw).ok_or_else(|| format!("'{raw}' is not a {}", stringify!($t)))
            }
        }
    )*};
}

stored_as_ledger_name!(Tier, ChargeType);
