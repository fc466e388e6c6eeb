//! Fixtures and measuring aids shared by the workspace's tests. Nothing here is
//! in the addon: the crates under test list this one as a dev-dependency only.

pub mod counting_alloc;
pub mod tls_identity;
