//! One lock per upload. Whoever holds it may check the offset and append; a newcomer asks the
//! holder to stop (so a stalled connection never locks its upload out) and then waits its turn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OwnedMutexGuard};

#[derive(Default)]
pub struct Slots {
    // std mutex: held only to look up or insert an entry, never across an await.
    map: Mutex<HashMap<String, Arc<Slot>>>,
}

#[derive(Default)]
struct Slot {
    gate: Arc<tokio::sync::Mutex<()>>,
    /// The current holder's stop signal.
    holder: Mutex<Option<Arc<Notify>>>,
}

/// Holding this is holding the upload.
pub struct SlotGuard<'a> {
    slots: &'a Slots,
    key: String,
    slot: Arc<Slot>,
    stop: Arc<Notify>,
    _gate: OwnedMutexGuard<()>,
}

impl Slots {
    /// Takes the upload's lock, asking its present holder to stop first.
    pub async fn acquire(&self, key: &str) -> SlotGuard<'_> {
        let slot = {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.to_owned()).or_default().clone()
        };
        if let Some(stop) = slot.holder.lock().unwrap_or_else(|e| e.into_inner()).take() {
            stop.notify_one();
        }
        let gate = slot.gate.clone().lock_owned().await;
        let stop = Arc::new(Notify::new());
        *slot.holder.lock().unwrap_or_else(|e| e.into_inner()) = Some(stop.clone());
        SlotGuard {
            slots: self,
            key: key.to_owned(),
            slot,
            stop,
            _gate: gate,
        }
    }
}

impl SlotGuard<'_> {
    /// Resolves when another request wants this upload.
    pub async fn stop_requested(&self) {
        self.stop.notified().await
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        let mut holder = self.slot.holder.lock().unwrap_or_else(|e| e.into_inner());
        if holder.as_ref().is_some_and(|h| Arc::ptr_eq(h, &self.stop)) {
            *holder = None;
        }
        drop(holder);
        let mut map = self.slots.map.lock().unwrap_or_else(|e| e.into_inner());
        // The map and this guard are the only owners: nobody else is waiting, forget the slot.
        if Arc::strong_count(&self.slot) == 2 {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_newcomer_stops_the_holder_and_gets_the_lock() {
        let slots = Arc::new(Slots::default());
        let first = slots.acquire("u").await;
        let s2 = slots.clone();
        let second = tokio::spawn(async move {
            let _g = s2.acquire("u").await;
        });
        tokio::time::timeout(Duration::from_secs(5), first.stop_requested())
            .await
            .expect("holder is asked to stop");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("newcomer gets the lock")
            .expect("task");
        assert!(
            slots.map.lock().expect("map").is_empty(),
            "idle slots are forgotten"
        );
    }
}
