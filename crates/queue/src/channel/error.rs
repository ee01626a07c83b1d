//! The channel's error values: each says why an operation failed, and the
//! sending ones hand the value back (their `Debug` does not need
//! `T: Debug`).

use core::fmt;

/// `send` on a channel whose receivers are all gone: the value comes back.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendError<T>(pub T);

/// Why `try_send` failed; the value comes back either way.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrySendError<T> {
    /// No free slot right now.
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// Why `send_timeout` failed; the value comes back either way.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendTimeoutError<T> {
    /// Still full at the deadline.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// `recv` on an empty channel whose senders are all gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecvError;

/// Why `try_recv` returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TryRecvError {
    /// Nothing ready right now.
    Empty,
    /// Empty, and every sender is gone.
    Disconnected,
}

/// Why `recv_timeout` returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecvTimeoutError {
    /// Still empty at the deadline.
    Timeout,
    /// Empty, and every sender is gone.
    Disconnected,
}

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc(1);
    /// drop(rx);
    /// assert_eq!(tx.send("a").unwrap_err().into_inner(), "a");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::spsc(1);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.try_send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Disconnected(v) => v,
        }
    }

    /// `true` for [`TrySendError::Full`].
    ///
    /// ```
    /// let (tx, _rx) = nanopath_queue::channel::spsc(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// `true` for [`TrySendError::Disconnected`].
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::spsc(1);
    /// drop(rx);
    /// assert!(tx.try_send(1).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TrySendError::Disconnected(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = nanopath_queue::channel::mpmc(1);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.send_timeout(2, Duration::ZERO).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Disconnected(v) => v,
        }
    }

    /// `true` for [`SendTimeoutError::Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = nanopath_queue::channel::mpmc(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.send_timeout(2, Duration::ZERO).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// `true` for [`SendTimeoutError::Disconnected`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = nanopath_queue::channel::mpmc(1);
    /// drop(rx);
    /// assert!(tx.send_timeout(1, Duration::MAX).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, SendTimeoutError::Disconnected(_))
    }
}

impl TryRecvError {
    /// `true` for [`TryRecvError::Empty`].
    ///
    /// ```
    /// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// assert!(rx.try_recv().unwrap_err().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }

    /// `true` for [`TryRecvError::Disconnected`].
    ///
    /// ```
    /// let (tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// drop(tx);
    /// assert!(rx.try_recv().unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TryRecvError::Disconnected)
    }
}

impl RecvTimeoutError {
    /// `true` for [`RecvTimeoutError::Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// assert!(rx.recv_timeout(Duration::ZERO).unwrap_err().is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, RecvTimeoutError::Timeout)
    }

    /// `true` for [`RecvTimeoutError::Disconnected`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = nanopath_queue::channel::mpsc::<u8>(1);
    /// drop(tx);
    /// assert!(rx.recv_timeout(Duration::MAX).unwrap_err().is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, RecvTimeoutError::Disconnected)
    }
}

/// A disconnected `send` is a disconnected `try_send`.
///
/// ```
/// use nanopath_queue::channel::{SendError, TrySendError};
/// assert_eq!(TrySendError::from(SendError(1)), TrySendError::Disconnected(1));
/// ```
impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(e: SendError<T>) -> Self {
        TrySendError::Disconnected(e.0)
    }
}

/// A disconnected `send` is a disconnected `send_timeout`.
///
/// ```
/// use nanopath_queue::channel::{SendError, SendTimeoutError};
/// assert_eq!(SendTimeoutError::from(SendError(1)), SendTimeoutError::Disconnected(1));
/// ```
impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(e: SendError<T>) -> Self {
        SendTimeoutError::Disconnected(e.0)
    }
}

/// A failed `recv` is a disconnected `try_recv`.
///
/// ```
/// use nanopath_queue::channel::{RecvError, TryRecvError};
/// assert_eq!(TryRecvError::from(RecvError), TryRecvError::Disconnected);
/// ```
impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        TryRecvError::Disconnected
    }
}

/// A failed `recv` is a disconnected `recv_timeout`.
///
/// ```
/// use nanopath_queue::channel::{RecvError, RecvTimeoutError};
/// assert_eq!(RecvTimeoutError::from(RecvError), RecvTimeoutError::Disconnected);
/// ```
impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        RecvTimeoutError::Disconnected
    }
}

const GONE_RECEIVERS: &str = "sending on a channel whose receivers are gone";
const GONE_SENDERS: &str = "receiving on an empty channel whose senders are gone";

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(GONE_RECEIVERS)
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "sending on a full channel",
            TrySendError::Disconnected(_) => GONE_RECEIVERS,
        })
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "timed out sending on a full channel",
            SendTimeoutError::Disconnected(_) => GONE_RECEIVERS,
        })
    }
}

// The value may not be `Debug`; the variant is what matters.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "Timeout(..)",
            SendTimeoutError::Disconnected(_) => "Disconnected(..)",
        })
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(GONE_SENDERS)
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receiving on an empty channel",
            TryRecvError::Disconnected => GONE_SENDERS,
        })
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out receiving on an empty channel",
            RecvTimeoutError::Disconnected => GONE_SENDERS,
        })
    }
}

impl<T> std::error::Error for SendError<T> {}
impl<T> std::error::Error for TrySendError<T> {}
impl<T> std::error::Error for SendTimeoutError<T> {}
impl std::error::Error for RecvError {}
impl std::error::Error for TryRecvError {}
impl std::error::Error for RecvTimeoutError {}
