//! Admin integration of privates.
