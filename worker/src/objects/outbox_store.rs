//! The outbox's own SQLite tables: deliveries indexed by when they are due
//! and by age, and markers of events already taken. Every method is
//! synchronous, so a check and the write that depends on it commit together
//! with no other request in between.

use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue, State};

use super::sql_kv::SqlKv;
use crate::domain::delivery::{Delivery, KEEP_FINISHED};
use crate::error::{ApiError, ApiResult};

const SCHEMA: [&str; 5] = [
    // `due`: when the alarm should next pick it up (NULL once finished);
    // while an attempt is in flight it holds the claim's expiry instead.
    "CREATE TABLE IF NOT EXISTS delivery (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        due INTEGER,
        finished INTEGER NOT NULL,
        v TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS delivery_due ON delivery (due)",
    "CREATE INDEX IF NOT EXISTS delivery_age ON delivery (finished, created_at, id)",
    "CREATE TABLE IF NOT EXISTS seen_event (event_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS seen_event_expiry ON seen_event (expires_at)",
];

pub struct OutboxStore {
    sql: SqlStorage,
}

#[derive(Deserialize)]
struct V {
    v: String,
}

#[derive(Deserialize)]
struct N {
    n: i64,
}

#[derive(Deserialize)]
struct Due {
    due: Option<i64>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("outbox storage: {e}"))
}

fn int(n: i64) -> SqlStorageValue {
    SqlStorageValue::from(n)
}

impl OutboxStore {
    pub fn new(state: &State) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA {
            if let Err(e) = sql.exec(stmt, None) {
                worker::console_error!("outbox schema: {e}");
            }
        }
        Self { sql }
    }

    fn rows<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        args: Vec<SqlStorageValue>,
    ) -> ApiResult<Vec<T>> {
        self.sql
            .exec(query, args)
            .and_then(|c| c.to_array())
            .map_err(internal)
    }

    fn run(&self, query: &str, args: Vec<SqlStorageValue>) -> ApiResult<()> {
        self.sql.exec(query, args).map(|_| ()).map_err(internal)
    }

    fn parse(rows: Vec<V>) -> ApiResult<Vec<Delivery>> {
        rows.iter()
            .map(|r| serde_json::from_slice(r.v.as_bytes()).map_err(internal))
            .collect()
    }

    /// Whether this event was already taken (a delivery, or a live marker).
    pub fn seen(&self, event_id: &str, now: i64) -> ApiResult<bool> {
        let n: Vec<N> = self.rows(
            "SELECT (SELECT COUNT(*) FROM delivery WHERE event_id = ?)
                  + (SELECT COUNT(*) FROM seen_event WHERE event_id = ? AND expires_at > ?) AS n",
            vec![event_id.into(), event_id.into(), int(now)],
        )?;
        Ok(n.first().is_some_and(|r| r.n > 0))
    }

    /// Remembers an event until `until`, so a duplicate forward is a no-op.
    pub fn mark_seen(&self, event_id: &str, until: i64) -> ApiResult<()> {
        self.run(
            "INSERT INTO seen_event (event_id, expires_at) VALUES (?, ?)
             ON CONFLICT (event_id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)",
            vec![event_id.into(), int(until)],
        )
    }

    /// Stores a new delivery unless its event was already taken; marks the
    /// event seen until `seen_until`. True when stored. The check and the
    /// writes are one synchronous step (and `event_id` is UNIQUE besides).
    pub fn admit(&self, d: &Delivery, seen_until: i64, now: i64) -> ApiResult<bool> {
        if self.seen(&d.event_id, now)? {
            return Ok(false);
        }
        let v = serde_json::to_string(d).map_err(internal)?;
        self.run(
            "INSERT OR IGNORE INTO delivery (id, event_id, created_at, due, finished, v)
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                d.id.as_str().into(),
                d.event_id.as_str().into(),
                int(d.created_at),
                d.next_attempt_at.into(),
                int(i64::from(d.is_finished())),
                v.into(),
            ],
        )?;
        self.mark_seen(&d.event_id, seen_until)?;
        Ok(true)
    }

    pub fn get(&self, id: &str) -> ApiResult<Option<Delivery>> {
        let rows: Vec<V> = self.rows("SELECT v FROM delivery WHERE id = ?", vec![id.into()])?;
        Ok(Self::parse(rows)?.into_iter().next())
    }

    /// Writes a delivery back; it is due at its `next_attempt_at`.
    pub fn save(&self, d: &Delivery) -> ApiResult<()> {
        let v = serde_json::to_string(d).map_err(internal)?;
        self.run(
            "UPDATE delivery SET due = ?, finished = ?, v = ? WHERE id = ?",
            vec![
                d.next_attempt_at.into(),
                int(i64::from(d.is_finished())),
                v.into(),
                d.id.as_str().into(),
            ],
        )
    }

    /// Up to `limit` deliveries due at `now`, earliest first, each claimed
    /// until `claim_until` so no other alarm picks it up meanwhile.
    pub fn claim_due(&self, now: i64, limit: usize, claim_until: i64) -> ApiResult<Vec<Delivery>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<V> = self.rows(
            "SELECT v FROM delivery WHERE due <= ? ORDER BY due LIMIT ?",
            vec![int(now), int(limit)],
        )?;
        let due = Self::parse(rows)?;
        for d in &due {
            self.run(
                "UPDATE delivery SET due = ? WHERE id = ?",
                vec![int(claim_until), d.id.as_str().into()],
            )?;
        }
        Ok(due)
    }

    /// When the next delivery is due, if any is pending.
    pub fn next_due(&self) -> ApiResult<Option<i64>> {
        let rows: Vec<Due> = self.rows("SELECT MIN(due) AS due FROM delivery", vec![])?;
        Ok(rows.first().and_then(|r| r.due))
    }

    /// When the earliest seen-marker expires, if any is kept.
    pub fn next_marker_expiry(&self) -> ApiResult<Option<i64>> {
        let rows: Vec<Due> = self.rows("SELECT MIN(expires_at) AS due FROM seen_event", vec![])?;
        Ok(rows.first().and_then(|r| r.due))
    }

    /// The newest `limit` deliveries, newest first.
    pub fn newest(&self, limit: usize) -> ApiResult<Vec<Delivery>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<V> = self.rows(
            "SELECT v FROM delivery ORDER BY created_at DESC, id DESC LIMIT ?",
            vec![int(limit)],
        )?;
        Self::parse(rows)
    }

    /// Drops finished deliveries beyond the newest [`KEEP_FINISHED`] and
    /// expired event markers. Pending deliveries are never pruned.
    pub fn prune(&self, now: i64) -> ApiResult<()> {
        let keep = i64::try_from(KEEP_FINISHED).unwrap_or(i64::MAX);
        self.run(
            "DELETE FROM delivery WHERE id IN (
                SELECT id FROM delivery WHERE finished = 1
                ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)",
            vec![int(keep)],
        )?;
        self.run(
            "DELETE FROM seen_event WHERE expires_at <= ?",
            vec![int(now)],
        )
    }

    /// Moves deliveries and markers kept by earlier versions in the object's
    /// key-value table (`d:`, `id:`, `e:` keys) into these tables, once.
    pub fn migrate_from(&self, kv: &SqlKv, seen_until: i64) -> ApiResult<()> {
        if kv.count("d:")? == 0 && kv.count("e:")? == 0 {
            return Ok(());
        }
        for (key, d) in kv.list::<Delivery>("d:", usize::MAX, false)? {
            let v = serde_json::to_string(&d).map_err(internal)?;
            self.run(
                "INSERT OR IGNORE INTO delivery (id, event_id, created_at, due, finished, v)
                 VALUES (?, ?, ?, ?, ?, ?)",
                vec![
                    d.id.as_str().into(),
                    d.event_id.as_str().into(),
                    int(d.created_at),
                    d.next_attempt_at.into(),
                    int(i64::from(d.is_finished())),
                    v.into(),
                ],
            )?;
            kv.delete(&key)?;
            kv.delete(&format!("id:{}", d.id))?;
        }
        for (key, _) in kv.list::<String>("e:", usize::MAX, false)? {
            if let Some(event_id) = key.strip_prefix("e:") {
                self.mark_seen(event_id, seen_until)?;
            }
            kv.delete(&key)?;
        }
        Ok(())
    }
}
