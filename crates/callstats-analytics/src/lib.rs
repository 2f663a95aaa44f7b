#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod aggregate;
pub mod alerts;
pub mod conference;
pub mod emodel;
pub mod fabric;
pub mod quality;
pub mod score;
pub mod streams;
