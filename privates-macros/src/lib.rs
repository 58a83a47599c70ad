//! Procedural macros of privates.
