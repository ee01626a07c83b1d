//! Loom models for the blocking channels: park/unpark with no lost wake-up
//! (loom reports a deadlock if a parked thread is never woken),
//! disconnection that wakes parked threads and never loses a value, and a
//! send racing the last receiver's drop, whose item must be handed back or
//! dropped before the sender goes. Every model parks at once
//! (`WaitStrategy::park`), the path that can lose a wake-up.

#![cfg(nanopath_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use nanopath_queue::channel::{
    self, Flavor, Mpmc, Mpsc, RecvError, Sender, Spsc, TrySendError, WaitStrategy,
};

/// A receiver parks on an empty channel; the sender's item must wake it,
/// and the sender's drop must wake it again to report disconnection.
#[test]
fn parked_receiver_is_woken_by_send_and_by_disconnection() {
    loom::model(|| {
        let (tx, rx) = channel::spsc_with::<u32>(1, WaitStrategy::park());
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
        });
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(rx.recv(), Err(RecvError));
        sender.join().unwrap();
    });
}

/// A receiver parks on an empty channel while the sender lives on: the
/// send's notification is the only thing that can wake it (the sender's
/// drop comes after the receive), on every flavor.
fn parked_receiver_is_woken_by_a_send_alone<F: Flavor>()
where
    Sender<u32, F>: Send + 'static,
{
    loom::model(|| {
        let (tx, rx) = channel::try_with::<u32, F>(1, WaitStrategy::park()).unwrap();
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
            tx
        });
        assert_eq!(rx.recv(), Ok(7));
        drop(sender.join().unwrap());
    });
}

#[test]
fn parked_receiver_is_woken_by_a_send_alone_spsc() {
    parked_receiver_is_woken_by_a_send_alone::<Spsc>();
}

#[test]
fn parked_receiver_is_woken_by_a_send_alone_mpsc() {
    parked_receiver_is_woken_by_a_send_alone::<Mpsc>();
}

#[test]
fn parked_receiver_is_woken_by_a_send_alone_mpmc() {
    parked_receiver_is_woken_by_a_send_alone::<Mpmc>();
}

/// A sender parks on a full channel; the receiver's pop must wake it, on
/// every flavor (the MPMC flavor notifies after its `SeqCst` claim of
/// `head`, the others after a fence).
fn parked_sender_is_woken_by_recv<F: Flavor>()
where
    Sender<u32, F>: Send + 'static,
{
    loom::model(|| {
        let (tx, rx) = channel::try_with::<u32, F>(1, WaitStrategy::park()).unwrap();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
            tx
        });
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        drop(sender.join().unwrap());
    });
}

#[test]
fn parked_sender_is_woken_by_recv_spsc() {
    parked_sender_is_woken_by_recv::<Spsc>();
}

#[test]
fn parked_sender_is_woken_by_recv_mpsc() {
    parked_sender_is_woken_by_recv::<Mpsc>();
}

#[test]
fn parked_sender_is_woken_by_recv_mpmc() {
    parked_sender_is_woken_by_recv::<Mpmc>();
}

/// A sender blocked on a full channel when the receiver goes: the send is
/// woken and either fails and hands its value back, or took the slot the
/// receiver's drain freed, and then its item was dropped by a drain. With
/// the sender still alive, both items are gone.
#[test]
fn disconnection_wakes_a_parked_sender_and_drops_or_returns_its_value() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = channel::mpmc_with::<Counted>(1, WaitStrategy::park());
        tx.send(Counted(drops.clone())).unwrap();
        let item = Counted(drops.clone());
        let sender = thread::spawn(move || {
            let back = tx.send(item).err().map(|e| e.into_inner());
            (tx, back)
        });
        drop(rx);
        let (tx, back) = sender.join().unwrap();
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2 - usize::from(back.is_some())
        );
        drop(back);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        drop(tx);
    });
}

/// A value whose drop is counted.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A `try_send` on one thread races the last receiver's drop on another.
/// Once both are done, with the sender still alive, the item has either
/// come back to the sender or been dropped, exactly once: never kept
/// inside until the sender goes.
fn send_racing_the_last_receiver_drop<F: Flavor>()
where
    Sender<Counted, F>: Send + 'static,
{
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = channel::try_with::<Counted, F>(1, WaitStrategy::park()).unwrap();
        let item = Counted(drops.clone());
        let sender = thread::spawn(move || {
            let back = tx.try_send(item).err().map(TrySendError::into_inner);
            (tx, back)
        });
        drop(rx);
        let (tx, back) = sender.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), usize::from(back.is_none()));
        drop(back);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(tx);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn send_racing_the_last_receiver_drop_spsc() {
    send_racing_the_last_receiver_drop::<Spsc>();
}

#[test]
fn send_racing_the_last_receiver_drop_mpsc() {
    send_racing_the_last_receiver_drop::<Mpsc>();
}

#[test]
fn send_racing_the_last_receiver_drop_mpmc() {
    send_racing_the_last_receiver_drop::<Mpmc>();
}

/// A waker that raises a loom flag.
struct FlagWaker(Arc<loom::sync::atomic::AtomicBool>);

impl std::task::Wake for FlagWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::Release);
    }
}

fn flag_waker() -> (Arc<loom::sync::atomic::AtomicBool>, std::task::Waker) {
    let flag = Arc::new(loom::sync::atomic::AtomicBool::new(false));
    let waker = std::task::Waker::from(std::sync::Arc::new(FlagWaker(flag.clone())));
    (flag, waker)
}

/// A task polls an empty channel's stream while a thread sends: in every
/// interleaving the poll either returned the item or left the task
/// registered and the send then woke it (pending and never woken is the
/// lost wake-up), and the next poll returns the item.
fn pending_receive_task_is_woken_by_a_send<F: Flavor>()
where
    Sender<u32, F>: Send + 'static,
{
    pending_receive_task_is_woken_by_a_send_with::<F>(WaitStrategy::default());
}

fn pending_receive_task_is_woken_by_a_send_with<F: Flavor>(wait: WaitStrategy)
where
    Sender<u32, F>: Send + 'static,
{
    loom::model(move || {
        let (tx, rx) = channel::try_with::<u32, F>(1, wait).unwrap();
        let mut stream = rx.into_stream();
        let (woken, waker) = flag_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        let sender = thread::spawn(move || {
            tx.try_send(7).unwrap();
            tx
        });
        let first = stream.poll_recv(&mut cx);
        let tx = sender.join().unwrap();
        if first.is_pending() {
            assert!(woken.load(Ordering::Acquire), "pending and never woken");
            assert_eq!(stream.poll_recv(&mut cx), std::task::Poll::Ready(Some(7)));
        } else {
            assert_eq!(first, std::task::Poll::Ready(Some(7)));
        }
        drop(tx);
        assert_eq!(stream.poll_recv(&mut cx), std::task::Poll::Ready(None));
    });
}

#[test]
fn pending_receive_task_is_woken_by_a_send_spsc() {
    pending_receive_task_is_woken_by_a_send::<Spsc>();
}

#[test]
fn pending_receive_task_is_woken_by_a_send_mpsc() {
    pending_receive_task_is_woken_by_a_send::<Mpsc>();
}

#[test]
fn pending_receive_task_is_woken_by_a_send_mpmc() {
    pending_receive_task_is_woken_by_a_send::<Mpmc>();
}

/// On a channel whose threads never park, the task's registration first
/// moves the receivers' eventcount off the asymmetric pair, racing the
/// sender's light-side notification.
#[test]
fn pending_receive_task_is_woken_on_a_busy_spin_channel() {
    pending_receive_task_is_woken_by_a_send_with::<Spsc>(WaitStrategy::busy_spin());
    pending_receive_task_is_woken_by_a_send_with::<Mpmc>(WaitStrategy::busy_spin());
}

/// A task's send waits on a full channel while a thread receives: the
/// freed slot wakes the task (or its poll already saw it), and the held
/// item then goes in.
fn pending_send_task_is_woken_by_a_receive<F: Flavor>()
where
    channel::Receiver<u32, F>: Send + 'static,
{
    loom::model(|| {
        let (tx, rx) = channel::try_with::<u32, F>(1, WaitStrategy::default()).unwrap();
        tx.try_send(1).unwrap();
        let mut sink = tx.into_sink();
        let (woken, waker) = flag_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert_eq!(sink.start_send_item(2), Ok(())); // held: the channel is full
        let receiver = thread::spawn(move || {
            assert_eq!(rx.try_recv(), Ok(1));
            rx
        });
        let first = sink.poll_flush_item(&mut cx);
        let rx = receiver.join().unwrap();
        if first.is_pending() {
            assert!(woken.load(Ordering::Acquire), "pending and never woken");
            assert_eq!(
                sink.poll_flush_item(&mut cx),
                std::task::Poll::Ready(Ok(()))
            );
        } else {
            assert_eq!(first, std::task::Poll::Ready(Ok(())));
        }
        assert_eq!(rx.try_recv(), Ok(2));
    });
}

#[test]
fn pending_send_task_is_woken_by_a_receive_spsc() {
    pending_send_task_is_woken_by_a_receive::<Spsc>();
}

#[test]
fn pending_send_task_is_woken_by_a_receive_mpsc() {
    pending_send_task_is_woken_by_a_receive::<Mpsc>();
}

#[test]
fn pending_send_task_is_woken_by_a_receive_mpmc() {
    pending_send_task_is_woken_by_a_receive::<Mpmc>();
}
