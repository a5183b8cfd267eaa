//! The server's integration tests, in one binary so that it is built and linked once. Each
//! scenario starts its own server on a fresh SQLite file with a manual clock, talks to it over
//! real HTTP through `paycode-client` (or in-process through the router), and ends with the
//! ledger check, both over HTTP and in the domain.

mod concurrency;
mod end_to_end;
mod failures;
mod helpers;
mod public;
mod refusals;
mod restart;
mod step_up;
