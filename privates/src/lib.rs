//! privates
