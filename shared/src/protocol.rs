//! The wire protocol between widget, console and edge. Versioned: a client names the
//! version in its WebSocket URL (`?v=1`) and again in its `hello` frame; the server
//! answers `welcome` with the version it speaks. Everything is JSON made by serde.

pub mod v1;

pub use v1::*;
