//! Per-instance queueing of buyers by ticket type, in front of the guarded hold.
/// One async lock per ticket type for one app instance: its buyers of a ticket type queue
/// instead of colliding in the database. Other instances still meet in the database, whose
/// guarded transaction is what keeps the ledger right.
#[derive(Default)]
pub struct HoldQueue {
    locks:
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl HoldQueue {
    /// Waits for this instance's turn at the given ticket types, taken in sorted order so
    /// two orders never wait for each other.
    pub async fn turns(&self, ticket_types: &[&str]) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        let mut ids: Vec<&str> = ticket_types.to_vec();
        ids.sort_unstable();
        let locks: Vec<_> = {
            let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            ids.iter()
                .map(|id| map.entry((*id).to_owned()).or_default().clone())
                .collect()
        };
        let mut guards = Vec::with_capacity(locks.len());
        for lock in locks {
            guards.push(lock.lock_owned().await);
        }
        guards
    }
}
