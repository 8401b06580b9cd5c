//! twgate: a CI/CD security gate for Twilio Serverless. Data flows one way:
//! source (`twilio`) → [`inventory::Inventory`] → [`policy::Policy::evaluate`] → [`report::Report`] → renderers.

pub mod app;
pub mod baseline;
pub mod cli;
pub mod exit;
pub mod github;
pub mod input;
pub mod inventory;
pub mod logging;
pub mod output;
pub mod policy;
pub mod report;
pub mod text;
pub mod twilio;
