//! Throwaway servers for the workspace's tests, one module per server. Each starts on a free
//! loopback port with its data in a temporary folder, and is stopped and removed on drop.

pub mod postgres;
