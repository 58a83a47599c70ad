//! The privates demo: a loco app on SQLite with private ID documents.

pub mod app;
pub mod auth;
pub mod controllers;
pub mod migration;
pub mod models;
pub mod seed;
