//! Reading a live account through Twilio's REST API: configuration, the HTTP client, wire models and
//! the inventory collector. Nothing outside this module talks to Twilio.

pub mod client;
pub mod collect;
pub mod config;
mod limiter;
pub mod models;
mod retry;

pub use client::{ApiError, Client, ClientOptions};
pub use collect::{Collected, Filters, collect};
pub use config::{ConfigError, Credentials, Secret};
