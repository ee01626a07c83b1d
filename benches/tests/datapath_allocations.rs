//! Allocations per request of the datapath demo's builds, counted by the
//! same counting allocator the binary installs. Alone in its test binary:
//! every thread's allocations count, and no other test may run meanwhile.

use nanopath_bench::datapath::Pipeline;
use nanopath_bench::datapath::alloc_count::{self, CountingAlloc};
use nanopath_bench::datapath::drive::{self, Load, Plan, Workload};
use nanopath_bench::datapath::naive::Naive;
use nanopath_bench::datapath::nanopath::Nanopath;
use nanopath_bench::datapath::workload::Shape;
use nanopath_shard::WaitStrategy;
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn the_nanopath_build_allocates_nothing_per_request_and_the_naive_build_does() {
    assert!(alloc_count::installed());
    let w = Workload::new(Shape {
        requests: 2048,
        payload: 300,
        keys: 37,
    });
    let plan = Plan {
        load: Load::Open(20_000.0),
        duration: Duration::from_millis(300),
        warmup: Duration::from_millis(100),
        tcp: false,
    };
    let nanopath: Box<dyn Pipeline> =
        Box::new(Nanopath::new(1, 300, 37, WaitStrategy::spin_yield_park()).unwrap());
    // 20k/s for 0.3 s measured: 6000 requests.
    let m = drive::run(nanopath, &w, &plan, 1).unwrap();
    assert_eq!(m.recorded, 6000);
    assert_eq!(m.allocs_per_request, 0.0, "{m:?}");
    let m = drive::run(Box::new(Naive::new(1, 300)), &w, &plan, 1).unwrap();
    assert_eq!(m.recorded, 6000);
    // A payload copy, the filter's output and the response frame.
    assert!(m.allocs_per_request >= 3.0, "{m:?}");
}
