//! Background jobs: the sweeper (lapsed holds, then owed refunds) and the mail worker (the
//! outbox). Each is one loop of rounds at a fixed period; at shutdown a round in flight
//! finishes, within a deadline, instead of being cut off mid-transaction or mid-send.
use crate::server::email::outbox;
use crate::server::services::{orders, waitlist};
use crate::server::state::AppState;
use chrono::Utc;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The running jobs of one server.
pub struct Jobs {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Jobs {
    /// Starts the sweeper and (when mail can go out) the mail worker at their periods.
    pub fn start(state: &AppState) -> Jobs {
        let (stop, stopped) = watch::channel(false);
        let settings = &state.settings;
        let sweep_every = Duration::from_secs(settings.sweep_interval_secs.max(1) as u64);
        let mail_every = Duration::from_secs(settings.outbox_interval_secs.max(1) as u64);
        let sweeper = {
            let state = state.clone();
            spawn(sweep_every, stopped.clone(), move || {
                let state = state.clone();
                async move {
                    match orders::sweep(&state, Utc::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(expired = n, "expired holds returned to stock"),
                        Err(e) => tracing::error!(error = %e, "sweeping expired holds failed"),
                    }
                    if let Err(e) = waitlist::offer_seats(&state, Utc::now()).await {
                        tracing::error!(error = %e, "waiting-list offers failed");
                    }
                    match orders::retry_refunds(&state, Utc::now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(sent = n, "owed refunds sent"),
                        Err(e) => tracing::error!(error = %e, "sending owed refunds failed"),
                    }
                }
            })
        };
        let mut tasks = vec![("sweeper", sweeper)];
        // Without a provider (outside demo mode) emails wait in the outbox until one is set.
        if state.mailer.delivers() || settings.demo {
            let state = state.clone();
            let mail_worker = spawn(mail_every, stopped, move || {
                let state = state.clone();
                async move {
                    if let Err(e) = outbox::run_once(&state, Utc::now()).await {
                        tracing::error!(error = %e, "outbox round failed");
                    }
                }
            });
            tasks.push(("mail worker", mail_worker));
        }
        Jobs { stop, tasks }
    }

    /// Asks every job to stop after its current round and waits up to `deadline` in all;
    /// a job still running then is aborted (and logged).
    pub async fn stop(self, deadline: Duration) {
        let _ = self.stop.send(true);
        let until = tokio::time::Instant::now() + deadline;
        for (name, mut task) in self.tasks {
            if tokio::time::timeout_at(until, &mut task).await.is_err() {
                tracing::warn!(job = name, "job did not finish its round in time; aborted");
                task.abort();
            }
        }
    }
}

/// Runs `round` every `period` until `stop` turns true. The stop signal is only looked at
/// between rounds, so a round is never interrupted.
fn spawn<F, Fut>(period: Duration, mut stop: watch::Receiver<bool>, mut round: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                // Only `stop` sends, and only `true`; a dropped sender also means stop.
                _ = stop.changed() => break,
                _ = ticker.tick() => round().await,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Starts a job whose rounds take `round_time`, and counts started and finished rounds.
    fn counting_job(round_time: Duration) -> (Jobs, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let (stop, stopped) = watch::channel(false);
        let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let task = {
            let (started, finished) = (started.clone(), finished.clone());
            spawn(Duration::from_millis(10), stopped, move || {
                let (started, finished) = (started.clone(), finished.clone());
                async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(round_time).await;
                    finished.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let jobs = Jobs {
            stop,
            tasks: vec![("test", task)],
        };
        (jobs, started, finished)
    }

    #[tokio::test]
    async fn a_round_in_flight_finishes_at_shutdown() {
        let (jobs, started, finished) = counting_job(Duration::from_millis(300));
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        jobs.stop(Duration::from_secs(5)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 1, "the round finished");
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "no round started after stop"
        );
    }

    #[tokio::test]
    async fn a_round_past_the_deadline_is_aborted() {
        let (jobs, started, finished) = counting_job(Duration::from_secs(60));
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let began = std::time::Instant::now();
        jobs.stop(Duration::from_millis(100)).await;
        assert!(began.elapsed() < Duration::from_secs(5));
        assert_eq!(finished.load(Ordering::SeqCst), 0);
    }
}
