//! How often the machine itself takes a core away: each of `threads`
//! threads reads the clock in a loop and records every gap between two
//! reads over 50 µs. No request pipeline can have a tail below what this
//! shows for its busy threads (on a VM, both the guest's scheduler and the
//! host's take their share).

use std::time::{Duration, Instant};

/// Gaps seen by one thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gaps {
    /// Gaps over 50 µs.
    pub over_50us: u64,
    /// Gaps over 1 ms.
    pub over_1ms: u64,
    /// Time lost in gaps over 50 µs.
    pub lost: Duration,
    /// The longest gap.
    pub longest: Duration,
}

/// Spins `threads` threads for `time`, each recording its gaps.
pub fn probe(threads: usize, time: Duration) -> Vec<Gaps> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut g = Gaps::default();
                    let start = Instant::now();
                    let mut last = start;
                    loop {
                        let now = Instant::now();
                        let gap = now - last;
                        last = now;
                        if gap > Duration::from_micros(50) {
                            g.over_50us += 1;
                            g.lost += gap;
                            if gap > Duration::from_millis(1) {
                                g.over_1ms += 1;
                            }
                        }
                        g.longest = g.longest.max(gap);
                        if now - start >= time {
                            return g;
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_reports_each_thread_and_bounds_its_figures() {
        let gaps = probe(2, Duration::from_millis(20));
        assert_eq!(gaps.len(), 2);
        for g in gaps {
            assert!(g.over_1ms <= g.over_50us);
            // Each gap counted lasted over 50 µs and is in `lost`.
            assert!(g.lost >= Duration::from_micros(50) * g.over_50us as u32);
            assert!(g.longest <= g.lost.max(Duration::from_micros(50)));
        }
    }
}
