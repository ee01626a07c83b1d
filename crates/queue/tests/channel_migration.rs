//! What code written against crossbeam-channel's bounded channels relies
//! on, checked here for every flavor: items are dropped as soon as the
//! receivers are gone, receivers drain before they see disconnection,
//! iteration ends at disconnection, the error types carry their value and
//! answer the usual questions, and the capacity rules (exact, at least 1;
//! 0 is an error here, not a rendezvous channel).

#![cfg(not(nanopath_loom))]

use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError,
    Sender, Spsc, TryRecvError, TrySendError, WaitStrategy,
};
use nanopath_testkit::Counted;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn pair<T, F: Flavor>(capacity: usize) -> (Sender<T, F>, Receiver<T, F>) {
    channel::try_with::<T, F>(capacity, WaitStrategy::default()).unwrap()
}

/// Dropping the receiver drops what is queued right away, while the
/// sender still lives (items may hold files, locks, reference counts).
fn drop_on_disconnect<F: Flavor>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(());
    let (tx, rx) = pair::<(Counted, Arc<()>), F>(4);
    for i in 0..3 {
        tx.send((Counted::new(i, &drops), shared.clone())).unwrap();
    }
    assert_eq!(Arc::strong_count(&shared), 4);
    drop(rx);
    assert_eq!(drops.load(Ordering::Relaxed), 3);
    assert_eq!(Arc::strong_count(&shared), 1);
    let SendError((back, _)) = tx
        .send((Counted::new(9, &drops), shared.clone()))
        .unwrap_err();
    assert_eq!(back.value, 9);
}

#[test]
fn drop_on_disconnect_every_flavor() {
    drop_on_disconnect::<Spsc>();
    drop_on_disconnect::<Mpsc>();
    drop_on_disconnect::<Mpmc>();
}

/// After the senders are gone, receivers still get everything that was
/// sent, in order, and only then the disconnection.
fn recv_drains_before_disconnection<F: Flavor>() {
    let (tx, rx) = pair::<u32, F>(4);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    drop(tx);
    assert!(rx.is_disconnected());
    assert_eq!(rx.len(), 4);
    assert_eq!(rx.recv(), Ok(0));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.recv_timeout(Duration::from_secs(3600)), Ok(2));
    assert_eq!(rx.recv(), Ok(3));
    assert_eq!(rx.recv(), Err(RecvError));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    // Disconnection ends a wait at once: this does not wait an hour.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(3600)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn recv_drains_before_disconnection_every_flavor() {
    recv_drains_before_disconnection::<Spsc>();
    recv_drains_before_disconnection::<Mpsc>();
    recv_drains_before_disconnection::<Mpmc>();
}

/// `iter`, `&Receiver` and `into_iter` block until every sender is gone,
/// then end; `try_iter` takes what is ready and never blocks.
fn iteration_ends_at_disconnection<F: Flavor>()
where
    Sender<u32, F>: Send,
{
    let (tx, rx) = pair::<u32, F>(2);
    std::thread::scope(|s| {
        s.spawn(move || (0..50).for_each(|i| tx.send(i).unwrap()));
        assert_eq!(rx.iter().collect::<Vec<_>>(), (0..50).collect::<Vec<_>>());
    });
    let (tx, rx) = pair::<u32, F>(2);
    std::thread::scope(|s| {
        s.spawn(move || (0..50).for_each(|i| tx.send(i).unwrap()));
        let mut sum = 0;
        for v in &rx {
            sum += v;
        }
        assert_eq!(sum, (0..50).sum());
    });
    let (tx, rx) = pair::<u32, F>(2);
    std::thread::scope(|s| {
        s.spawn(move || (0..50).for_each(|i| tx.send(i).unwrap()));
        assert_eq!(rx.into_iter().count(), 50);
    });
    let (tx, rx) = pair::<u32, F>(4);
    assert_eq!(rx.try_iter().count(), 0);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(rx.try_iter().next(), None); // empty, sender alive: no wait
}

#[test]
fn iteration_ends_at_disconnection_every_flavor() {
    iteration_ends_at_disconnection::<Spsc>();
    iteration_ends_at_disconnection::<Mpsc>();
    iteration_ends_at_disconnection::<Mpmc>();
}

/// A clone keeps the channel connected; disconnection comes with the last
/// handle of a side.
#[test]
fn clones_keep_the_channel_connected() {
    let (tx, rx) = channel::mpmc::<u8>(4);
    let (tx2, rx2) = (tx.clone(), rx.clone());
    drop(tx);
    assert!(!rx.is_disconnected());
    tx2.send(1).unwrap();
    drop(rx);
    assert!(!tx2.is_disconnected());
    assert_eq!(rx2.recv(), Ok(1));
    drop(tx2);
    assert!(rx2.is_disconnected());
    assert_eq!(rx2.recv(), Err(RecvError));

    let (tx, rx) = channel::mpsc::<u8>(4);
    let tx2 = tx.clone();
    drop(tx);
    assert!(!rx.is_disconnected());
    tx2.send(2).unwrap();
    drop(tx2);
    assert_eq!(rx.iter().collect::<Vec<_>>(), [2]);
}

/// The error types: the value comes back, the helpers answer, `Display`
/// says what happened, the conversions match crossbeam's, and they work
/// as `Box<dyn Error>` (even for a payload that is not `Debug`).
#[test]
fn error_helpers_and_display() {
    struct NotDebug(u8);
    let (tx, rx) = channel::spsc::<NotDebug>(1);
    tx.send(NotDebug(0)).unwrap();

    let full = tx.try_send(NotDebug(1)).unwrap_err();
    assert!(full.is_full() && !full.is_disconnected());
    assert_eq!(full.to_string(), "sending on a full channel");
    assert_eq!(format!("{full:?}"), "Full(..)");
    assert_eq!(full.into_inner().0, 1);

    let timeout = tx.send_timeout(NotDebug(2), Duration::ZERO).unwrap_err();
    assert!(timeout.is_timeout() && !timeout.is_disconnected());
    assert_eq!(timeout.to_string(), "timed out sending on a full channel");
    assert_eq!(timeout.into_inner().0, 2);

    assert_eq!(rx.recv().map(|v| v.0), Ok(0));
    let empty = rx.try_recv().map(|v| v.0).unwrap_err();
    assert!(empty.is_empty() && !empty.is_disconnected());
    assert_eq!(empty.to_string(), "receiving on an empty channel");
    let timed_out = rx.recv_timeout(Duration::ZERO).map(|v| v.0).unwrap_err();
    assert!(timed_out.is_timeout() && !timed_out.is_disconnected());
    assert_eq!(
        timed_out.to_string(),
        "timed out receiving on an empty channel"
    );

    drop(rx);
    let gone = tx.send(NotDebug(3)).unwrap_err();
    assert_eq!(
        gone.to_string(),
        "sending on a channel whose receivers are gone"
    );
    assert_eq!(format!("{gone:?}"), "SendError(..)");
    let gone = TrySendError::from(gone);
    assert!(gone.is_disconnected() && !gone.is_full());
    assert_eq!(
        gone.to_string(),
        "sending on a channel whose receivers are gone"
    );
    let gone = SendTimeoutError::from(SendError(gone.into_inner()));
    assert!(gone.is_disconnected() && !gone.is_timeout());
    assert_eq!(
        gone.to_string(),
        "sending on a channel whose receivers are gone"
    );
    assert_eq!(gone.into_inner().0, 3);

    let (tx, rx) = channel::mpsc::<u8>(1);
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert!(rx.try_recv().unwrap_err().is_disconnected());
    assert!(
        rx.recv_timeout(Duration::MAX)
            .unwrap_err()
            .is_disconnected()
    );
    assert_eq!(TryRecvError::from(RecvError), TryRecvError::Disconnected);
    assert_eq!(
        RecvTimeoutError::from(RecvError),
        RecvTimeoutError::Disconnected
    );
    let gone = "receiving on an empty channel whose senders are gone";
    assert_eq!(RecvError.to_string(), gone);
    assert_eq!(TryRecvError::Disconnected.to_string(), gone);
    assert_eq!(RecvTimeoutError::Disconnected.to_string(), gone);

    // `?` into `Box<dyn Error>`.
    fn forward(tx: &Sender<NotDebug, Mpsc>, rx: &Receiver<u8, Mpsc>) -> Result<u8, Box<dyn Error>> {
        tx.send(NotDebug(1))?;
        Ok(rx.recv()?)
    }
    let (tx, rx) = channel::mpsc::<NotDebug>(1);
    drop(rx);
    let (_keep, numbers) = channel::mpsc::<u8>(1);
    let err = forward(&tx, &numbers).unwrap_err();
    assert_eq!(
        err.to_string(),
        "sending on a channel whose receivers are gone"
    );
}

/// Capacity is exact (no rounding), at least 1: capacity 0 is an error
/// here, where crossbeam-channel's `bounded(0)` is a rendezvous channel.
fn capacity_rules<F: Flavor>() {
    for capacity in [1, 2, 3, 5, 7, 100] {
        let (tx, rx) = pair::<usize, F>(capacity);
        assert_eq!((tx.capacity(), rx.capacity()), (capacity, capacity));
        for i in 0..capacity {
            assert!(!tx.is_full());
            tx.try_send(i).unwrap();
        }
        assert!(tx.is_full() && rx.is_full());
        assert_eq!(tx.try_send(capacity), Err(TrySendError::Full(capacity)));
        assert_eq!((tx.len(), rx.len()), (capacity, capacity));
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(!rx.is_full());
        assert_eq!(rx.len(), capacity - 1);
    }
    let err = channel::try_with::<u8, F>(0, WaitStrategy::default())
        .map(drop)
        .unwrap_err();
    assert_eq!((err.requested, err.minimum), (0, 1));
    assert!(err.to_string().contains("capacity 0"));
}

#[test]
fn capacity_rules_every_flavor() {
    capacity_rules::<Spsc>();
    capacity_rules::<Mpsc>();
    capacity_rules::<Mpmc>();
}
