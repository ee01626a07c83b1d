//! The datapath demo: one request pipeline in two builds over the same
//! workload (see `workload`), run by `src/bin/datapath.rs`.

pub mod workload;
