//! Building a throwaway server's scales on lanes: each lane a database made from the
//! schema's, grown through its share of the scales on a thread of its own, copied at each
//! scale but its last and renamed at its last.

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::oneshot;

use super::{GROWING, alone_on, exec, grow_step, ms_since, scale_db};
use crate::config::Settings;
use crate::datagen::load::{Loader, StepTimings};
use crate::datagen::model::DataModel;
use crate::error::{Error, Result};
use crate::postgres::{Connector, Server};
use crate::progress;

/// How many scales are built at once on a throwaway server. A constant, not the machine's
/// core count: which scales share a lane decides nothing in the data, but the lanes must
/// be the same everywhere the world is built.
const LANES: usize = 2;

/// Which scales (by index) each lane builds, ascending within a lane: the largest scale
/// first to the lane with the least so far, by scale factor. A function of the scales only.
fn lanes(scales: &[f64], lanes: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..scales.len()).collect();
    order.sort_by(|&a, &b| scales[b].total_cmp(&scales[a]).then(a.cmp(&b)));
    let mut out: Vec<(f64, Vec<usize>)> = vec![(0.0, Vec::new()); lanes.max(1)];
    for i in order {
        let lightest = (0..out.len()).min_by(|&a, &b| out[a].0.total_cmp(&out[b].0)).expect("a lane");
        out[lightest].0 += scales[i];
        out[lightest].1.push(i);
    }
    out.into_iter()
        .map(|(_, mut l)| {
            l.sort_unstable();
            l
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// Whether one table holds more than half of the rows at the largest scale.
fn one_table_dominates(model: &DataModel, scales: &[f64]) -> bool {
    let largest = scales.iter().copied().fold(0.0, f64::max);
    let rows: Vec<u64> = model.tables.iter().map(|t| t.size.rows_at(largest)).collect();
    let total: u64 = rows.iter().sum();
    rows.iter().any(|&r| r.saturating_mul(2) > total)
}

/// A scale's world, built.
pub(super) struct Built {
    pub(super) rows: BTreeMap<String, u64>,
    pub(super) step: StepTimings,
    pub(super) copy_ms: u64,
}

/// The lanes building a throwaway server's scales, each on a thread of its own (a load
/// keeps its session and generator state across awaits); stopped when dropped.
pub(super) struct Lanes {
    /// Per scale, its outcome to come (taken once it is asked for).
    pending: Vec<Option<oneshot::Receiver<Result<Built>>>>,
    /// The lanes, not started until a scale is first asked for: no session may hold a
    /// snapshot in a lane's database meanwhile (the catalog's queries are parsed in the
    /// first lane's before), or what VACUUM marks all-visible would depend on timing.
    starts: Vec<Box<dyn FnOnce() + Send>>,
    /// Dropping one stops its lane where it waits next.
    _stops: Vec<oneshot::Sender<()>>,
    /// What the loads' reader should know, read from the schema.
    pub(super) notes: Vec<String>,
}

impl Lanes {
    /// Make each lane's database from the schema's; the lanes start with the first scale asked for.
    pub(super) async fn start(
        server: &Server,
        model: &DataModel,
        settings: &Settings,
        notes: Vec<String>,
    ) -> Result<Lanes> {
        let plan = lanes(&settings.scales, LANES);
        let mut admin = server.connect().await?;
        alone_on(&mut admin, GROWING).await?;
        for l in 1..plan.len() {
            let sql = format!("CREATE DATABASE {} TEMPLATE {GROWING}{}", lane_db(l), server.copy_strategy());
            exec(&mut admin, &sql, "creating a database to load a world in").await?;
        }
        let _ = admin.close().await;
        let mut pending: Vec<Option<oneshot::Receiver<Result<Built>>>> =
            (0..settings.scales.len()).map(|_| None).collect();
        let mut stops = Vec::new();
        let mut starts: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
        // When one table holds most of the rows, the other lanes start once the first (the
        // largest scale's) analyzes: until then it loads and builds indexes on both cores,
        // and that table's ANALYZE runs on one. With no such table, analyzing keeps both
        // sessions busy, and the lanes start together.
        let (mut go, mut started) = if one_table_dominates(model, &settings.scales) {
            let (go, started) = oneshot::channel::<()>();
            (Some(go), Some(started))
        } else {
            (None, None)
        };
        for (l, mine) in plan.into_iter().enumerate() {
            let mut senders = Vec::new();
            for &i in &mine {
                let (tx, rx) = oneshot::channel();
                pending[i] = Some(rx);
                senders.push(tx);
            }
            let (signal, wait) = if l == 0 { (go.take(), None) } else { (None, started.take()) };
            let lane = Lane {
                connector: server.connector(),
                file_copy: server.copy_strategy(),
                db: lane_db(l),
                scales: settings.scales.clone(),
                mine,
                signal,
                wait,
            };
            let (stop, stopped) = oneshot::channel::<()>();
            stops.push(stop);
            let (model, seed) = (model.clone(), settings.seed);
            // A lane that cannot start drops its senders: its scales report that they stopped.
            starts.push(Box::new(move || {
                let _ = std::thread::Builder::new().name(format!("plangate-lane-{l}")).spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async {
                        tokio::select! {
                            _ = stopped => {}
                            () = lane.run(model, seed, senders) => {}
                        }
                    });
                });
            }));
        }
        Ok(Lanes { pending, starts, _stops: stops, notes })
    }

    /// The `i`-th scale's world, once built.
    pub(super) async fn wait(&mut self, i: usize, scale: f64) -> Result<Built> {
        for start in self.starts.drain(..) {
            start();
        }
        let rx = self.pending[i].take().expect("each scale is asked for once");
        progress::global().spin(&format!("scale {scale}: loading"));
        let built = rx.await;
        progress::global().finish();
        built.map_err(|_| Error::WorldStopped { scale })?
    }
}

/// The database lane `l` grows in: the first grows in the schema's own (a new database
/// costs a file per relation of the catalog, and creating files is slow while the disk
/// writes out what was loaded), the others in copies of it.
fn lane_db(l: usize) -> String {
    if l == 0 { GROWING.to_string() } else { format!("plangate_lane_{l}") }
}

/// One lane: grows its database through its scales.
struct Lane {
    connector: Connector,
    file_copy: &'static str,
    db: String,
    /// Every scale of the run.
    scales: Vec<f64>,
    /// This lane's, by index, ascending.
    mine: Vec<usize>,
    /// Told when this lane first analyzes.
    signal: Option<oneshot::Sender<()>>,
    /// Waited for before this lane starts (a lane that ends early lets it start too).
    wait: Option<oneshot::Receiver<()>>,
}

impl Lane {
    /// Build each scale and send it on; stop at the first failure, which is sent.
    async fn run(mut self, model: DataModel, seed: u64, senders: Vec<oneshot::Sender<Result<Built>>>) {
        if let Some(wait) = self.wait.take() {
            let _ = wait.await;
        }
        let mut signal = self.signal.take();
        let mut state: Option<(Loader, PgConnection)> = None;
        for (k, (&i, tx)) in self.mine.iter().zip(senders).enumerate() {
            let last = k + 1 == self.mine.len();
            let built = self.step(&mut state, &model, seed, i, last, &mut signal).await;
            let failed = built.is_err();
            let _ = tx.send(built);
            if failed {
                return;
            }
        }
    }

    async fn step(
        &self,
        state: &mut Option<(Loader, PgConnection)>,
        model: &DataModel,
        seed: u64,
        i: usize,
        last: bool,
        signal: &mut Option<oneshot::Sender<()>>,
    ) -> Result<Built> {
        if state.is_none() {
            let mut conn = self.connector.connect_to(&self.db).await?;
            let helper = self.connector.connect_to(&self.db).await?;
            let mut loader = Loader::new(&mut conn, Some(helper), model.clone(), seed).await?;
            loader.follow_scales(&self.scales);
            *state = Some((loader, conn));
        }
        let (loader, conn) = state.as_mut().expect("a loader");
        let mut analyzing = || {
            if let Some(s) = signal.take() {
                let _ = s.send(());
            }
        };
        let step = grow_step(loader, conn, self.scales[i], false, &mut analyzing).await?;
        let rows = loader.relation_rows(conn).await?;
        let t = Instant::now();
        loader.release_helper().await;
        if last {
            if let Some((_, conn)) = state.take() {
                let _ = conn.close().await;
            }
            let mut admin = self.connector.connect_to("template1").await?;
            alone_on(&mut admin, &self.db).await?;
            let sql = format!("ALTER DATABASE {} RENAME TO {}", self.db, scale_db(i));
            exec(&mut admin, &sql, "keeping a scale's world").await?;
            let _ = admin.close().await;
        } else {
            alone_on(conn, &self.db).await?;
            let sql = format!("CREATE DATABASE {} TEMPLATE {}{}", scale_db(i), self.db, self.file_copy);
            exec(conn, &sql, "keeping a scale's world").await?;
            loader.attach_helper(self.connector.connect_to(&self.db).await?).await?;
        }
        Ok(Built { rows, step, copy_ms: ms_since(t) })
    }
}

#[cfg(test)]
mod tests {
    use super::lanes;

    #[test]
    fn the_largest_scale_gets_a_lane_and_the_rest_share_the_other() {
        assert_eq!(lanes(&[0.035, 0.3, 1.0], 2), vec![vec![2], vec![0, 1]]);
        assert_eq!(lanes(&[1.0], 2), vec![vec![0]]);
        assert_eq!(lanes(&[0.5, 1.0], 2), vec![vec![1], vec![0]]);
    }

    #[test]
    fn many_scales_are_balanced_by_size() {
        let scales: Vec<f64> = (1..=8).map(|i| f64::from(i) / 8.0).collect();
        let plan = lanes(&scales, 2);
        let weight = |l: &[usize]| l.iter().map(|&i| scales[i]).sum::<f64>();
        assert_eq!(plan.len(), 2);
        assert!((weight(&plan[0]) - weight(&plan[1])).abs() <= 0.125 + 1e-9, "{plan:?}");
        let mut all: Vec<usize> = plan.concat();
        all.sort_unstable();
        assert_eq!(all, (0..8).collect::<Vec<_>>(), "every scale once");
        assert!(plan.iter().all(|l| l.windows(2).all(|w| w[0] < w[1])), "ascending within a lane: {plan:?}");
    }
}
