//! A typed key-value table over a Durable Object's SQLite storage.
//!
//! The SQL API is synchronous: a read-check-write sequence with no `.await`
//! in between cannot interleave with another request, and the writes commit
//! together (the object's implicit transaction) before any response leaves.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{SqlStorage, SqlStorageValue, State};

use crate::error::{ApiError, ApiResult};

pub struct SqlKv {
    sql: SqlStorage,
}

#[derive(Deserialize)]
struct Row {
    k: String,
    v: String,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("storage: {e}"))
}

impl SqlKv {
    pub fn new(state: &State) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(
            "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
            None,
        ) {
            worker::console_error!("create kv table: {e}");
        }
        Self { sql }
    }

    // The generic methods only (de)serialise; the SQL lives in the plain ones
    // below, compiled once instead of once per stored type.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> ApiResult<Option<T>> {
        self.get_text(key)?
            .map(|v| serde_json::from_slice(v.as_bytes()).map_err(internal))
            .transpose()
    }

    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> ApiResult<()> {
        self.put_text(key, serde_json::to_string(value).map_err(internal)?)
    }

    fn get_text(&self, key: &str) -> ApiResult<Option<String>> {
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT k, v FROM kv WHERE k = ?",
                vec![SqlStorageValue::from(key)],
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        Ok(rows.into_iter().next().map(|row| row.v))
    }

    fn put_text(&self, key: &str, text: String) -> ApiResult<()> {
        self.sql
            .exec(
                "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                vec![SqlStorageValue::from(key), SqlStorageValue::from(text)],
            )
            .map(|_| ())
            .map_err(internal)
    }

    pub fn delete(&self, key: &str) -> ApiResult<()> {
        self.sql
            .exec(
                "DELETE FROM kv WHERE k = ?",
                vec![SqlStorageValue::from(key)],
            )
            .map(|_| ())
            .map_err(internal)
    }

    /// Entries whose key starts with `prefix`, in key order, at most `limit`.
    pub fn list<T: DeserializeOwned>(
        &self,
        prefix: &str,
        limit: usize,
        newest_first: bool,
    ) -> ApiResult<Vec<(String, T)>> {
        self.list_text(prefix, limit, newest_first)?
            .into_iter()
            .map(|r| {
                serde_json::from_slice(r.v.as_bytes())
                    .map(|v| (r.k, v))
                    .map_err(internal)
            })
            .collect()
    }

    fn list_text(&self, prefix: &str, limit: usize, newest_first: bool) -> ApiResult<Vec<Row>> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let query =
            format!("SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k {order} LIMIT ?");
        let upper = format!("{prefix}\u{10ffff}");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.sql
            .exec(
                &query,
                vec![
                    SqlStorageValue::from(prefix),
                    SqlStorageValue::from(upper),
                    SqlStorageValue::from(limit),
                ],
            )
            .and_then(|c| c.to_array())
            .map_err(internal)
    }

    pub fn count(&self, prefix: &str) -> ApiResult<usize> {
        #[derive(Deserialize)]
        struct N {
            n: i64,
        }
        let upper = format!("{prefix}\u{10ffff}");
        let rows: Vec<N> = self
            .sql
            .exec(
                "SELECT COUNT(*) AS n FROM kv WHERE k >= ? AND k < ?",
                vec![SqlStorageValue::from(prefix), SqlStorageValue::from(upper)],
            )
            .and_then(|c| c.to_array())
            .map_err(internal)?;
        Ok(rows
            .first()
            .map_or(0, |r| usize::try_from(r.n).unwrap_or(0)))
    }
}
